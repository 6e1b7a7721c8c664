import { NotRegularFileError, ReadTimeoutError } from "./read-regular-file.js";

/**
 * A short, user-facing reason for a file-system error ("file not found", "permission denied"),
 * used in `LoadError.reason` so run reports read the same whichever stage hit the error.
 * Unknown errors keep their code and message so nothing is hidden.
 */
export function fsErrorReason(error: unknown): string {
  if (error instanceof NotRegularFileError || error instanceof ReadTimeoutError) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "file not found";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ELOOP":
      return "symlink loop";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a parent path is not a directory";
    case "EMFILE":
    case "ENFILE":
      return "too many open files";
    case "EIO":
      return "I/O error";
    case "EAGAIN":
    case "EWOULDBLOCK":
      return "would block (not an ordinary file)";
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return code ? `${code}: ${message}` : message;
    }
  }
}
