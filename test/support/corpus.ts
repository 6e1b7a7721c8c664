import { makePdf } from "./make-pdf.js";
import type { Workspace } from "./workspace.js";

/** A small mixed corpus with one clear topic per document (and per PDF page). */
export async function writeMixedCorpus(workspace: Workspace): Promise<void> {
  await workspace.write(
    "guide.md",
    [
      "# Operations guide",
      "",
      "## Backups",
      "",
      "Nightly backups are written to the cold storage bucket and kept for thirty days.",
      "",
      "## Key rotation",
      "",
      "Rotate the signing keys every ninety days with the keyctl rotate command on the primary node.",
      "",
      "```sh",
      "keyctl rotate --primary",
      "```",
      "",
    ].join("\n"),
  );
  await workspace.write(
    "notes/garden.md",
    "# Garden notes\n\nTomato seedlings need warmth and light; water the tomatoes at the roots, never the leaves.\n",
  );
  await workspace.write(
    "src/backoff.ts",
    [
      "/** Exponential backoff with jitter for rate limited requests. */",
      "export function backoff(attempt: number): number {",
      "  return Math.min(1000 * 2 ** attempt, 60000) * (1 + Math.random() * 0.2);",
      "}",
      "",
    ].join("\n"),
  );
  await workspace.write(
    "manual.pdf",
    await makePdf(
      [
        ["Volcano field manual", "Basalt lava flows are fluid and travel far from the vent."],
        ["Glaciers", "Glacier ice moves downhill and carves U-shaped valleys through the mountains."],
        ["Earthquakes", "Seismographs record earthquake waves; the magnitude scale is logarithmic."],
      ],
      "Earth science manual",
    ),
  );
}
