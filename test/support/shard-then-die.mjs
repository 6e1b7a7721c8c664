/**
 * Indexes one shard with the built library, committing document by document, and kills itself
 * with SIGKILL once two documents are committed while more remain: a worker killed mid-run (a
 * node lost, an OOM kill). Arguments: index uri, working folder, root, shard ("i/n"). The object
 * store and model service come from the environment.
 */
import { openIndex, parseShard } from "../../dist/index.js";

const [uri, cwd, root, shard] = process.argv.slice(2);
const index = await openIndex({ uri, cwd, env: process.env });
await index.index([root], {
  shard: parseShard(shard),
  commitEvery: 1,
  onProgress: (progress) => {
    if (progress.filesIndexed >= 2 && progress.filesToIndex > progress.filesIndexed)
      process.kill(process.pid, "SIGKILL");
  },
});
// Not reached when the shard has more than two documents.
process.exit(3);
