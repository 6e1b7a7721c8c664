/**
 * Indexes a folder with the built library and kills itself with SIGKILL at the moment the run
 * has committed its last document and starts index maintenance (full-text and ANN indexes): the
 * worst moment for a crash. Arguments: index uri, working folder, root, ANN threshold.
 */
import { openIndex } from "../../dist/index.js";

const [uri, cwd, root, annThreshold] = process.argv.slice(2);
const index = await openIndex({ uri, cwd, env: process.env });
await index.index([root], {
  annThreshold: Number(annThreshold),
  onProgress: (progress) => {
    if (progress.phase === "optimizing") process.kill(process.pid, "SIGKILL");
  },
});
// Not reached: the run always has something to maintain.
process.exit(3);
