import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyRequest } from 'fastify';
import { FieldError } from '../errors';

/** An error as the one filter decided it: RFC 9457 problem details. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

/** How a route family words its errors when it must not answer problem details. */
export type ErrorShape = (problem: ProblemDetails, request: { method: string }) => { status?: number; body: unknown; headers?: Record<string, string> };

const ERROR_SHAPE = 'errorShape';

/**
 * Class decorator for routes that keep another system's error format (the compatibility
 * routes): the shape is stored in each route's Fastify config, so the one error filter finds
 * it for every error of the route — also those raised before the handler runs (broken JSON,
 * 413, 415, 401, 429). Merges with a route's other config (its body limit).
 */
export function ShapeErrors(shape: ErrorShape): ClassDecorator {
  return (target) => {
    const prototype = (target as unknown as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as object | undefined) ?? {};
      Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, [ERROR_SHAPE]: shape }, handler);
    }
  };
}

/** The error shape of the route a request matched, if it has one. */
export function errorShapeOf(request: FastifyRequest | undefined): ErrorShape | undefined {
  const config = request?.routeOptions?.config as Record<string, unknown> | undefined;
  return config?.[ERROR_SHAPE] as ErrorShape | undefined;
}
