/**
 * The simplest value that validates against a JSON Schema, for `response_format` json_schema
 * replies: required properties only, empty arrays unless `minItems`, first enum member, and the
 * responder's answer in string fields.
 */
import { isObject, type JsonObject } from "../fields.js";

const MAX_DEPTH = 12;

function resolveRef(ref: string, root: JsonObject): JsonObject | undefined {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const key of ref.slice(2).split("/")) {
    node = isObject(node) ? node[key.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  }
  return isObject(node) ? node : undefined;
}

function firstType(schema: JsonObject): string | undefined {
  if (typeof schema.type === "string") return schema.type;
  if (Array.isArray(schema.type))
    return schema.type.find((type): type is string => typeof type === "string" && type !== "null") ?? "null";
  if (isObject(schema.properties)) return "object";
  if (schema.items !== undefined) return "array";
  return undefined;
}

/**
 * @param text the answer to put into string fields
 */
export function sampleFromSchema(
  schema: unknown,
  text: string,
  root: JsonObject = isObject(schema) ? schema : {},
  depth = 0,
): unknown {
  if (!isObject(schema) || depth > MAX_DEPTH) return null;
  if (typeof schema.$ref === "string") return sampleFromSchema(resolveRef(schema.$ref, root), text, root, depth + 1);
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const pick = options.find((option) => !(isObject(option) && option.type === "null")) ?? options[0];
      return sampleFromSchema(pick, text, root, depth + 1);
    }
  }
  switch (firstType(schema)) {
    case "object": {
      const properties = isObject(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required)
        ? schema.required.filter((name): name is string => typeof name === "string")
        : [];
      const value: JsonObject = {};
      for (const name of required) value[name] = sampleFromSchema(properties[name] ?? {}, text, root, depth + 1);
      return value;
    }
    case "array": {
      const count = typeof schema.minItems === "number" ? schema.minItems : 0;
      return Array.from({ length: count }, () => sampleFromSchema(schema.items ?? {}, text, root, depth + 1));
    }
    case "string": {
      const min = typeof schema.minLength === "number" ? schema.minLength : 0;
      const max = typeof schema.maxLength === "number" ? schema.maxLength : Infinity;
      return text.padEnd(min, ".").slice(0, max);
    }
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 0;
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return text;
  }
}
