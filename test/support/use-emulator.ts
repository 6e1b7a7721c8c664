import { afterAll, beforeAll } from "vitest";
import { type Emulator, type EmulatorOptions, startEmulator } from "../emulator/index.js";

/**
 * One emulator for a test file: started before its tests, closed after them. `receive` gets it
 * (tests keep their own `let emulator` and reset it as they need).
 */
export function useEmulator(receive: (emulator: Emulator) => void, options?: EmulatorOptions): void {
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator(options);
    receive(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });
}
