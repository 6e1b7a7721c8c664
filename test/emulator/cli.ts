/**
 * `npm run emulator [-- --port 8089]`: runs the Gemini emulator until Ctrl-C.
 * Port from `--port N`, a bare number, or GEMINI_EMULATOR_PORT; random otherwise.
 */
import { startEmulator } from "./index.js";

function portFrom(argv: string[], env: NodeJS.ProcessEnv): number {
  const flag = argv.findIndex((arg) => arg === "--port" || arg === "-p");
  const inline = argv.find((arg) => arg.startsWith("--port="))?.slice("--port=".length);
  const value =
    inline ?? (flag >= 0 ? argv[flag + 1] : argv.find((arg) => /^\d+$/.test(arg))) ?? env.GEMINI_EMULATOR_PORT ?? "0";
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`Invalid port ${JSON.stringify(value)}: use a number from 0 to 65535.`);
    process.exit(2);
  }
  return port;
}

const keys = process.env.GEMINI_EMULATOR_KEYS?.split(",").filter((key) => key !== "");
const emulator = await startEmulator({
  port: portFrom(process.argv.slice(2), process.env),
  ...(keys ? { apiKeys: keys } : {}),
});
console.log(`Gemini emulator listening on ${emulator.origin}`);
console.log(`  baseURL (OpenAI compat): ${emulator.baseURL}`);
console.log(`  native:                  ${emulator.origin}/v1beta`);
console.log(`  API key:                 ${emulator.apiKey}`);
console.log("Press Ctrl-C to stop.");

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void emulator.close().then(() => process.exit(signal === "SIGINT" ? 130 : 0));
  });
}
