/**
 * Fails when a function in src/ is longer than 100 lines of its own — its lines minus those of the
 * functions written inside it (a callback passed along is its own function). Functions are
 * declarations, function expressions, arrow functions, methods, constructors and accessors. Part of
 * `npm run lint`; the house rule is "no function over ~100 lines": split a long one into named pieces
 * that each do one thing.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import fg from "fast-glob";
import ts from "typescript";

/** The most own lines a function may have. */
export const functionLineLimit = 100;

/** One function of a file, measured. */
export interface FunctionLength {
  /** A readable name: the declared name, or the variable/property it is assigned to, else where it sits. */
  name: string;
  /** 1-based line where the function starts (after its doc comment). */
  line: number;
  /** Lines from its first to its last, nested functions included. */
  lines: number;
  /** `lines` minus the `lines` of the functions directly inside it. */
  ownLines: number;
}

/** Measures every function in a TypeScript source text. */
export function measureFunctions(fileName: string, text: string): FunctionLength[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
  const measured: FunctionLength[] = [];

  /** Visits `node`'s subtree; returns the total lines of the outermost functions found in it. */
  const visit = (node: ts.Node, enclosing: string | undefined): number => {
    if (!isFunction(node)) {
      let nested = 0;
      node.forEachChild((child) => {
        nested += visit(child, enclosing);
      });
      return nested;
    }
    const first = lineOf(node.getStart(source));
    const lines = lineOf(node.getEnd()) - first + 1;
    const name = functionName(node, source, enclosing);
    const entry = { name, line: first, lines, ownLines: lines };
    measured.push(entry);
    let nested = 0;
    node.forEachChild((child) => {
      nested += visit(child, name);
    });
    entry.ownLines = lines - nested;
    return lines;
  };
  visit(source, undefined);
  return measured.sort((a, b) => a.line - b.line);
}

function isFunction(node: ts.Node): node is ts.SignatureDeclaration & { body?: ts.Node } {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node)) &&
    node.body !== undefined
  );
}

function functionName(node: ts.SignatureDeclaration, source: ts.SourceFile, enclosing: string | undefined): string {
  if (ts.isConstructorDeclaration(node)) return `${className(node)}.constructor`;
  if (node.name !== undefined) {
    const own = node.name.getText(source);
    return ts.isClassLike(node.parent) ? `${className(node)}.${own}` : own;
  }
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name !== undefined) {
    return parent.name.getText(source);
  }
  if (ts.isPropertyDeclaration(parent)) return `${className(parent)}.${parent.name.getText(source)}`;
  const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  return enclosing === undefined ? `function at line ${line}` : `function at line ${line} in ${enclosing}`;
}

function className(member: ts.Node): string {
  const owner = member.parent;
  return ts.isClassLike(owner) && owner.name !== undefined ? owner.name.text : "(class)";
}

/** Files checked, relative to the repository root. */
const sources = ["src/**/*.ts"];

function check(root: string): string[] {
  const files = fg.sync(sources, { cwd: root }).sort();
  const long: string[] = [];
  for (const file of files) {
    for (const fn of measureFunctions(file, readFileSync(path.join(root, file), "utf8"))) {
      if (fn.ownLines > functionLineLimit)
        long.push(`${file}:${fn.line}: ${fn.name} has ${fn.ownLines} lines of its own`);
    }
  }
  return long;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const long = check(path.resolve(import.meta.dirname, ".."));
  if (long.length > 0) {
    console.error(
      `Functions over ${functionLineLimit} lines (split them into named pieces that each do one thing):\n` +
        long.join("\n"),
    );
    process.exitCode = 1;
  }
}
