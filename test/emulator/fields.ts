/**
 * Strict request parsing as Google's proto-JSON layer does it: unknown names are a 400 with a
 * `google.rpc.BadRequest` detail per name (https://ai.google.dev/gemini-api/docs/openai "Strict request parsing").
 */
import { type GoogleApiError, invalidArgument } from "./errors.js";

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parse a JSON request body; an empty body is `{}`. */
export function parseJsonBody(raw: Buffer): JsonObject {
  const text = raw.toString("utf8").trim();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidArgument(`Invalid JSON payload received. Unexpected token.\n${text.slice(0, 40)}\n^`);
  }
  if (!isObject(value)) throw invalidArgument("Invalid JSON payload received. Root element must be a message.");
  return value;
}

function snakeToCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export interface FieldRules {
  /** Path of the object inside the request, e.g. "extra_body.google"; omitted at the top level. */
  at?: string;
  /** Accept both `taskType` and `task_type` as proto-JSON does (native endpoints). */
  protoNames?: boolean;
}

/** Throws 400 "Unknown name" listing every field of `value` not in `allowed`. */
export function rejectUnknownFields(value: JsonObject, allowed: Iterable<string>, rules: FieldRules = {}): void {
  const known = new Set<string>();
  for (const name of allowed) known.add(rules.protoNames ? snakeToCamel(name) : name);
  const unknown = Object.keys(value).filter((name) => !known.has(rules.protoNames ? snakeToCamel(name) : name));
  if (unknown.length === 0) return;
  const where = rules.at === undefined ? "" : ` at '${rules.at}'`;
  const descriptions = unknown.map(
    (name) => `Invalid JSON payload received. Unknown name "${name}"${where}: Cannot find field.`,
  );
  throw invalidArgument(descriptions.join("\n"), [
    {
      "@type": "type.googleapis.com/google.rpc.BadRequest",
      fieldViolations: descriptions.map((description) =>
        rules.at === undefined ? { description } : { field: rules.at, description },
      ),
    },
  ]);
}

/** Read a field under either its snake_case or camelCase name (proto-JSON accepts both). */
export function protoField(value: JsonObject, snakeName: string): unknown {
  return value[snakeName] ?? value[snakeToCamel(snakeName)];
}

const PROTO_TYPES = {
  string: "TYPE_STRING",
  number: "TYPE_INT32",
  boolean: "TYPE_BOOL",
  object: "TYPE_MESSAGE",
} as const;

/** 400 `Invalid value at 'x' (TYPE_STRING), 5` — Google's text for a wrongly typed field. */
export function invalidValue(at: string, expected: keyof typeof PROTO_TYPES, got: unknown): GoogleApiError {
  return invalidArgument(`Invalid value at '${at}' (${PROTO_TYPES[expected]}), ${JSON.stringify(got)}`, [
    {
      "@type": "type.googleapis.com/google.rpc.BadRequest",
      fieldViolations: [
        { field: at, description: `Invalid value at '${at}' (${PROTO_TYPES[expected]}), ${JSON.stringify(got)}` },
      ],
    },
  ]);
}

export function optionalString(value: JsonObject, name: string, at = name): string | undefined {
  const field = value[name];
  if (field === undefined || field === null) return undefined;
  if (typeof field !== "string") throw invalidValue(at, "string", field);
  return field;
}

export function optionalNumber(value: JsonObject, name: string, at = name): number | undefined {
  const field = value[name];
  if (field === undefined || field === null) return undefined;
  if (typeof field !== "number" || !Number.isFinite(field)) throw invalidValue(at, "number", field);
  return field;
}

export function optionalObject(value: JsonObject, name: string, at = name): JsonObject | undefined {
  const field = value[name];
  if (field === undefined || field === null) return undefined;
  if (!isObject(field)) throw invalidValue(at, "object", field);
  return field;
}
