import type { Dirent, Stats } from "node:fs";
import { statfs } from "node:fs/promises";

/**
 * Linux `statfs` magic numbers of file systems whose files are the kernel's, not documents:
 * reading them can block for ever (`/proc/kmsg`, `tracing/trace_pipe`), never end, or cost a
 * long walk through millions of entries (`/sys`). From linux/magic.h.
 */
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, "proc"],
  [0x62656572, "sysfs"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x73636673, "securityfs"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0x6165676c, "pstore"],
  [0xcafe4a11, "bpf"],
  [0x1cd1, "devpts"],
  [0x62656570, "configfs"],
  [0x65735543, "fusectl"],
  [0xde5e81e4, "efivarfs"],
  [0xf97cff8c, "selinuxfs"],
  [0x43415d53, "smackfs"],
  [0x42494e4d, "binfmt_misc"],
  [0x19800202, "mqueue"],
  [0x6e736673, "nsfs"],
]);

/**
 * Names the pseudo-file-system (procfs, sysfs, …) that holds `path`, or undefined for an
 * ordinary one. Answers are cached by device number, so a walk asks the kernel once per mount.
 * Where `statfs` fails or reports no Linux magic (macOS, Windows) the answer is undefined:
 * there, device files (`/dev`) are still recognised one by one by their type.
 */
export class FileSystemKinds {
  readonly #byDevice = new Map<number, string | undefined>();

  async pseudoFileSystem(path: string, device: number): Promise<string | undefined> {
    if (this.#byDevice.has(device)) return this.#byDevice.get(device);
    let name: string | undefined;
    if (process.platform === "linux") {
      try {
        name = PSEUDO_FILE_SYSTEMS.get(Number((await statfs(path)).type));
      } catch {
        // Unknown stays undefined: the entry is then judged by its own type.
      }
    }
    this.#byDevice.set(device, name);
    return name;
  }
}

/** What a non-regular, non-directory entry is ("FIFO", "socket", …), or undefined for files and folders. */
export function specialKind(entry: Stats | Dirent): string | undefined {
  if (entry.isFIFO()) return "FIFO (named pipe)";
  if (entry.isSocket()) return "socket";
  if (entry.isCharacterDevice()) return "character device";
  if (entry.isBlockDevice()) return "block device";
  return undefined;
}
