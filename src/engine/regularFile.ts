/**
 * Reading a file the user named (a model's config.json, its weights, a note)
 * only when it is a regular file. A named pipe would block the read forever and
 * a link to /dev/zero would fill memory until the process aborts; a folder, a
 * dangling link or a link loop would surface as a bare errno. Each is refused
 * with one line saying what the path is.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { EngineError, type EngineErrorCode } from './errors';

/** What a path that is not a readable regular file is, as the end of a sentence ("is a folder, not a file"). */
function describeKind(s: Stats): string | undefined {
  if (s.isFile()) return undefined;
  if (s.isDirectory()) return 'is a folder, not a file';
  if (s.isFIFO()) return 'is a named pipe, not a file';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'is a device, not a file';
  if (s.isSocket()) return 'is a socket, not a file';
  return 'is not a regular file';
}

function describeError(path: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': {
      // lstat succeeding where stat failed: the path is a link whose target is gone
      try {
        if (lstatSync(path).isSymbolicLink()) return `is a link to ${readlinkSync(path)}, which does not exist`;
      } catch {
        // fall through: the path itself is missing
      }
      return 'does not exist';
    }
    case 'ELOOP':
      return 'is a symbolic link that loops back on itself';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'ENOTDIR':
      return 'does not exist (a folder on its path is a file)';
    default:
      return `cannot be read (${e.code ?? 'unknown error'})`;
  }
}

/**
 * Why `path` cannot be read as a regular file ("is a named pipe, not a file"),
 * or undefined when it can. Links are followed.
 */
export function notRegularFileReason(path: string): string | undefined {
  let s: Stats;
  try {
    s = statSync(path);
  } catch (e) {
    return describeError(path, e as NodeJS.ErrnoException);
  }
  return describeKind(s);
}

/** Why `path` is not a folder ("does not exist", "is a link to X, which does not exist"), or undefined when it is one. */
export function notFolderReason(path: string): string | undefined {
  let s: Stats;
  try {
    s = statSync(path);
  } catch (e) {
    return describeError(path, e as NodeJS.ErrnoException);
  }
  return s.isDirectory() ? undefined : 'is a file, not a folder';
}

/** Throws EngineError(code, "`what` <reason>.") unless `path` is a regular file (after following links). */
export function requireRegularFile(path: string, what: string, code: EngineErrorCode = 'missing-file'): void {
  const reason = notRegularFileReason(path);
  if (reason) throw new EngineError(code, `${what} ${reason}.`);
}

/**
 * The bytes of a regular file. The file is opened without blocking and checked
 * on the open descriptor, so a pipe swapped in after a check is refused too.
 */
export function readRegularFile(path: string, what: string, code: EngineErrorCode = 'missing-file'): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a named pipe for reading must not wait for a writer (0 where the platform has none)
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new EngineError(code, `${what} ${describeError(path, e as NodeJS.ErrnoException)}.`);
  }
  try {
    const kind = describeKind(fstatSync(fd));
    if (kind) throw new EngineError(code, `${what} ${kind}.`);
    return readFileSync(fd);
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError(code, `${what} ${describeError(path, e as NodeJS.ErrnoException)}.`);
  } finally {
    closeSync(fd);
  }
}

/** The UTF-8 text of a regular file (see readRegularFile). */
export function readRegularTextFile(path: string, what: string, code: EngineErrorCode = 'missing-file'): string {
  return readRegularFile(path, what, code).toString('utf8');
}

/** true when something (a file, a folder, even a dangling link) is at `path` */
export function somethingAt(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
