import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { VisitorSalts } from '../../domain/visitor-salts';

/**
 * The salts in `visitor_salts` (migration 1763700010500). The first process to need a day's salt
 * inserts a random one; a concurrent insert by another process loses (ON CONFLICT DO NOTHING)
 * and both read the winner's, so every process hashes alike. Earlier days are deleted then.
 */
@Injectable()
export class PgVisitorSalts extends VisitorSalts {
  constructor(@InjectDataSource() private readonly db: DataSource) {
    super();
  }

  async saltOf(day: string): Promise<Buffer> {
    const existing = await this.read(day);
    if (existing) return existing;
    await this.db.query('INSERT INTO visitor_salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING', [day, randomBytes(32)]);
    await this.forgetBefore(day);
    const salt = await this.read(day);
    if (!salt) throw new Error(`visitor salt of ${day} missing right after it was written`);
    return salt;
  }

  async forgetBefore(day: string): Promise<number> {
    const [, deleted]: [unknown, number] = await this.db.query('DELETE FROM visitor_salts WHERE day < $1', [day]);
    return deleted;
  }

  private async read(day: string): Promise<Buffer | null> {
    const [row]: Array<{ salt: Buffer }> = await this.db.query('SELECT salt FROM visitor_salts WHERE day = $1', [day]);
    return row ? row.salt : null;
  }
}
