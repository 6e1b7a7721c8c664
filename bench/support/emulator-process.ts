/**
 * The Gemini emulator in its own process, so a benchmark measures gemindex's memory and CPU,
 * not the emulator's. Options arrive as JSON in argv[2]; the parent asks for request statistics
 * over IPC.
 */
import { countEmbeddingTokens, type EmulatorOptions, startEmulator } from "../../test/emulator/index.js";
import { EMBEDDING_PATH, embeddingRequests, requestInputs } from "../../test/support/embedding-requests.js";

const options = JSON.parse(process.argv[2] ?? "{}") as EmulatorOptions;
const emulator = await startEmulator(options);

process.on("message", (message: { type: string; options?: Partial<EmulatorOptions> }) => {
  if (message.type === "stats") {
    // Compat and native alike (documents go through native batchEmbedContents under a task-type pairing).
    const embeddings = embeddingRequests(emulator);
    const ok = embeddings.filter((request) => request.status === 200);
    const inputsOf = requestInputs;
    process.send!({
      type: "stats",
      requests: embeddings.length,
      ok: ok.length,
      rateLimited: embeddings.filter((request) => request.status === 429).length,
      inputs: ok.reduce((sum, request) => sum + inputsOf(request).length, 0),
      tokens: ok.reduce(
        (sum, request) => sum + inputsOf(request).reduce((total, input) => total + countEmbeddingTokens(input), 0),
        0,
      ),
      lastInputs: ok.length > 0 ? inputsOf(ok.at(-1)!).length : 0,
      first: ok[0]?.at,
      last: ok.at(-1)?.at,
    });
  } else if (message.type === "log") {
    // Every embedding request: when it arrived, when it was answered (if it was), and its inputs.
    const embeddings = embeddingRequests(emulator);
    process.send!({
      type: "log",
      now: emulator.now(),
      entries: embeddings.map((request) => ({
        at: request.at,
        answeredAt: request.answeredAt,
        status: request.status,
        inputs: requestInputs(request),
      })),
    });
  } else if (message.type === "hold-after") {
    // Once `answered` embedding requests have been answered, later ones are held unanswered (a
    // service gone quiet): the parent kills gemindex with exactly the held requests in flight.
    const answered = (message as { answered?: number }).answered ?? 0;
    const timer = setInterval(() => {
      const embeddings = embeddingRequests(emulator);
      if (embeddings.filter((request) => request.status === 200).length < answered) return;
      clearInterval(timer);
      emulator.hold(EMBEDDING_PATH);
      process.send!({ type: "held", from: embeddings.length });
    }, 1);
  } else if (message.type === "now") {
    process.send!({ type: "now", now: emulator.now() });
  } else if (message.type === "reset") {
    emulator.reset();
    process.send!({ type: "reset" });
  } else if (message.type === "close") {
    void emulator.close().then(() => process.exit(0));
  }
});
process.send!({ type: "ready", baseURL: emulator.baseURL, apiKey: emulator.apiKey });
