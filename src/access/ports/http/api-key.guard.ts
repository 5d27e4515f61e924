import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { PUBLIC_ROUTE, ROUTE_SCOPE } from '../../../shared/http/route-access';
import { ApiKeyAuthenticator } from '../../application/api-key-authenticator';
import { ApiKey, Scope } from '../../domain/api-key';

export type RequestWithKey = FastifyRequest & { apiKey?: ApiKey | null };

/** The one access check for every route (a global guard): no per-route code. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<RequestWithKey>();
    const required: Scope =
      this.reflector.getAllAndOverride<Scope>(ROUTE_SCOPE, targets) ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write');
    request.apiKey = await this.authenticator.authorize(secretOf(request), required);
    return true;
  }
}

function secretOf(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}
