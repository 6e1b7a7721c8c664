/**
 * An HTML document's opening, after optional whitespace, comments and an XML declaration:
 * `<!DOCTYPE html` or an `<html>` tag (any case).
 */
const HTML_START =
  /^\s*(?:<!--[\s\S]*?-->\s*)*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>])/i;

/**
 * Whether text of an unknown type is an HTML page, judged by how it starts (its first 4 KiB),
 * the way browsers sniff `text/html`. Text that merely contains tags (Markdown, templates,
 * code) does not count.
 */
export function looksLikeHtml(text: string): boolean {
  return HTML_START.test(text.slice(0, 4096));
}
