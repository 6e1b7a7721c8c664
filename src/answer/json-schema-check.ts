import { createRequire } from "node:module";
import type { ErrorObject } from "ajv";
import { ConfigError } from "../errors.js";

type Validate = ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };
interface AjvInstance {
  compile(schema: object): Validate;
  errorsText(errors?: ErrorObject[] | null, options?: { dataVar?: string; separator?: string }): string;
}
type AjvClass = new (options: object) => AjvInstance;

// ajv and ajv-formats are CommonJS; require() gives their classes without ESM interop guesses.
const require = createRequire(import.meta.url);

/** The Ajv class for the draft a schema declares: 2020-12, 2019-09, or draft-07 (also 06) otherwise. */
function ajvFor(schema: Record<string, unknown>): AjvInstance {
  const draft = typeof schema.$schema === "string" ? schema.$schema : "";
  const module = draft.includes("2020-12") ? "ajv/dist/2020" : draft.includes("2019-09") ? "ajv/dist/2019" : "ajv";
  const Ajv = (require(module) as { default: AjvClass }).default;
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  (require("ajv-formats") as { default: (ajv: AjvInstance) => void }).default(ajv);
  return ajv;
}

/** A compiled user schema: `check(value)` returns undefined when it conforms, else the reasons. */
export interface SchemaCheck {
  check(value: unknown, dataVar?: string): string | undefined;
}

/**
 * Compiles a user's JSON Schema for local validation (ajv, with formats such as date and email).
 * @throws ConfigError when it is not a schema ajv can compile.
 */
export function compileSchema(schema: unknown, origin = "the schema"): SchemaCheck {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema))
    throw new ConfigError(`${origin} must be a JSON Schema object.`, {
      code: "INVALID_OPTION",
      data: { option: "schema", expected: "a JSON Schema object" },
    });
  const ajv = ajvFor(schema as Record<string, unknown>);
  let validate: Validate;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new ConfigError(`${origin} is not a valid JSON Schema: ${(error as Error).message}`, {
      code: "INVALID_OPTION",
      data: { option: "schema", expected: "a valid JSON Schema", got: (error as Error).message },
      cause: error,
    });
  }
  return {
    check(value, dataVar = "data") {
      if (validate(value)) return undefined;
      return ajv.errorsText(validate.errors, { dataVar, separator: "; " });
    },
  };
}
