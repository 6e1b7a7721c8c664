/**
 * The Gemini emulator in its own process, so a benchmark measures gemindex's memory and CPU,
 * not the emulator's. Options arrive as JSON in argv[2]; the parent asks for request statistics
 * over IPC.
 */
import { countEmbeddingTokens, type EmulatorOptions, startEmulator } from "../../test/emulator/index.js";

const options = JSON.parse(process.argv[2] ?? "{}") as EmulatorOptions;
const emulator = await startEmulator(options);

process.on("message", (message: { type: string; options?: Partial<EmulatorOptions> }) => {
  if (message.type === "stats") {
    const embeddings = emulator.requests({ path: /\/openai\/embeddings$/ });
    const ok = embeddings.filter((request) => request.status === 200);
    const inputsOf = (request: { body: unknown }) => (request.body as { input?: string[] }).input ?? [];
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
  } else if (message.type === "reset") {
    emulator.reset();
    process.send!({ type: "reset" });
  } else if (message.type === "close") {
    void emulator.close().then(() => process.exit(0));
  }
});
process.send!({ type: "ready", baseURL: emulator.baseURL, apiKey: emulator.apiKey });
