import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AppConfig } from '../../config';
import { ValidationFailedError } from '../../shared/errors';
import { uuidv7 } from '../../shared/uuid';
import { ErasureOutcome, erasureHash, userIdProblem, UserErasureRepository } from '../domain/user-erasure';

export interface ErasureResult extends ErasureOutcome {
  id: string;
  erasedAt: Date;
  userHash: string | null;
}

/**
 * Erases a user: their events, their metric rows and their membership in every rollup, so
 * that no figure counts them any more, and records that it happened (without the user id).
 * Idempotent: erasing a user with nothing stored records an erasure of nothing.
 */
export class EraseUserCommand extends Command<ErasureResult> {
  constructor(
    readonly userId: string,
    /** Who asked, for the record: "api-key <id>", "http (open mode)" or "cli". */
    readonly requestedBy: string,
  ) {
    super();
  }
}

@CommandHandler(EraseUserCommand)
export class EraseUserHandler implements ICommandHandler<EraseUserCommand, ErasureResult> {
  constructor(
    private readonly erasures: UserErasureRepository,
    private readonly config: AppConfig,
  ) {}

  async execute({ userId, requestedBy }: EraseUserCommand): Promise<ErasureResult> {
    const problem = userIdProblem(userId);
    if (problem) throw new ValidationFailedError([problem]);
    const record = { id: uuidv7(), erasedAt: new Date(), userHash: erasureHash(this.config.erasureHashKey, userId), requestedBy };
    const outcome = await this.erasures.erase(userId, record);
    return { ...outcome, id: record.id, erasedAt: record.erasedAt, userHash: record.userHash };
  }
}
