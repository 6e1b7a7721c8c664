import { describe, expect, it } from "vitest";

import { htmlToMarkdown } from "../../src/loaders/html/html-to-markdown.js";
import { parseMarkdown } from "../../src/loaders/markdown/parse-markdown.js";

const page = (body: string, head = "<title>Page</title>") =>
  `<!DOCTYPE html><html><head>${head}</head><body>${body}</body></html>`;
const markdownOf = (body: string) => htmlToMarkdown(page(body)).markdown;

describe("htmlToMarkdown: what is kept", () => {
  it("keeps only <main> when there is one, with an article's own header but not the page's", () => {
    const markdown = markdownOf(
      "<header><h1>Site name</h1><nav>Menu</nav></header><p>Outside main.</p>" +
        ("<main><article><header><h1>Story</h1></header><p>Body text.</p><footer>Filed under " +
          "tides</footer></article></main><footer>Page footer</footer>"),
    );
    expect(markdown).toBe("# Story\n\nBody text.\n\nFiled under tides");
  });

  it("uses role=main, else every outermost <article>, else <body>", () => {
    expect(markdownOf('<p>Chrome.</p><div role="main"><p>Main by role.</p></div>')).toBe("Main by role.");
    expect(
      markdownOf(
        "<p>Chrome.</p><article><h2>One</h2><p>First.</p></article><article><h2>Two</h2><p>Second.</p></article>",
      ),
    ).toBe("## One\n\nFirst.\n\n## Two\n\nSecond.");
    expect(markdownOf("<nav>Menu</nav><h1>Plain page</h1><p>Text.</p><footer>Foot</footer>")).toBe(
      "# Plain page\n\nText.",
    );
  });

  it("drops scripts, styles, forms, asides, embedded media and hidden elements", () => {
    const markdown = markdownOf(
      "<main><p>Kept.</p><script>var secret = 1</script><style>p{}</style><noscript>Enable JS</noscript>" +
        ("<form><label>Name</label><input value=x><button>Send</button></form><aside>Related</aside><iframe " +
          "src=x></iframe>") +
        '<svg><text>chart label</text></svg><p hidden>Hidden attr</p><p aria-hidden="true">Aria hidden</p>' +
        ('<p style="color: red; display:none">Display none</p><p style="visibility: hidden">Invisible</p><div ' +
          'role="navigation">Nav by role</div>') +
        "<template><p>Template</p></template><p>Also kept.</p></main>",
    );
    expect(markdown).toBe("Kept.\n\nAlso kept.");
  });
});

describe("htmlToMarkdown: structure", () => {
  it("writes headings as #… and skips empty ones; a heading in a list is plain text", () => {
    const markdown = markdownOf(
      "<h1>Top</h1><h2> </h2><h3>Deep <em>part</em></h3><ul><li><h4>Item heading</h4></li></ul>",
    );
    expect(markdown).toBe("# Top\n\n### Deep part\n\n- Item heading");
    expect(parseMarkdown(markdown.split("\n")).filter((block) => block.type === "heading")).toHaveLength(2);
  });

  it("writes nested and numbered lists with their markers and indentation", () => {
    const markdown = markdownOf(
      "<ul><li>First<ul><li>Inner <b>bold</b></li></ul></li><li><p>Second</p><p>More</p></li></ul><ol " +
        'start="4"><li>four</li><li>five</li></ol>',
    );
    expect(markdown).toBe("- First\n  - Inner bold\n- Second\n  More\n\n4. four\n5. five");
  });

  it("fences <pre> with its language and a fence longer than any backtick run inside", () => {
    const markdown = markdownOf(
      '<pre class="lang-md">Use ```js fences\n\n  indented line</pre><p>Call <code>gauge.read()</code> or ' +
        "<code>a`b</code>.</p>",
    );
    expect(markdown).toBe("````md\nUse ```js fences\n\n  indented line\n````\n\nCall `gauge.read()` or `` a`b ``.");
    expect(parseMarkdown(markdown.split("\n"))[0]).toMatchObject({ type: "fence", start: 0, end: 4 });
  });

  it("writes a data table as a GFM table whose first row is the header, escaping pipes and filling spans", () => {
    const markdown = markdownOf(
      "<table><caption>Levels</caption><tr><td>Gauge</td><td>Level</td><td>Note</td></tr>" +
        ('<tr><td>North</td><td>2.41</td><td>high | windy</td></tr><tr><td colspan="2">calm all ' +
          "day</td><td><p>two</p><p>paragraphs</p></td></tr><tr><td></td><td></td><td></td></tr></table>"),
    );
    expect(markdown).toBe(
      "Levels\n\n| Gauge | Level | Note |\n| --- | --- | --- |\n| North | 2.41 | high \\| windy |\n| calm all day " +
        "|  | two paragraphs |",
    );
    expect(parseMarkdown(markdown.split("\n"))[1]).toMatchObject({ type: "table", start: 2, end: 5 });
  });

  it("flattens a layout table (cells holding headings or tables) into its content", () => {
    expect(
      markdownOf("<table><tr><td><h2>Left</h2><p>Column text.</p></td><td><p>Right text.</p></td></tr></table>"),
    ).toBe("## Left\n\nColumn text.\n\nRight text.");
  });

  it("keeps <br> line breaks and quotes with >", () => {
    expect(
      markdownOf("<p>Line one<br>line   two</p><blockquote><p>Said once.</p><p>Said twice.</p></blockquote>"),
    ).toBe("Line one\nline two\n\n> Said once.\n>\n> Said twice.");
  });

  it("escapes text that Markdown would read as a heading, fence or setext underline", () => {
    const markdown = markdownOf("<p># not a heading</p><p>Title<br>---</p><p>```not a fence</p>");
    expect(markdown).toBe("\\# not a heading\n\nTitle\n\\---\n\n\\```not a fence");
    expect(parseMarkdown(markdown.split("\n")).every((block) => block.type === "paragraph")).toBe(true);
  });
});

describe("htmlToMarkdown: XHTML", () => {
  it("does not let a self-closed <script/> or <title/> swallow the page", () => {
    const xhtml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<html xmlns="http://www.w3.org/1999/xhtml"><head><title/><script src="app.js"/></head>',
      '<body><h1>Chapter one</h1><p>Text<br/>after a break.</p><a id="x"/><p>More.</p></body></html>',
    ].join("\n");
    const { markdown, title } = htmlToMarkdown(xhtml);
    expect(markdown).toBe("# Chapter one\n\nText\nafter a break.\n\nMore.");
    expect(title).toBe("Chapter one");
  });
});

describe("htmlToMarkdown: title and images", () => {
  it("takes <title>, else the first <h1>, never an SVG's title", () => {
    expect(htmlToMarkdown(page("<h1>Heading</h1>", "<title>  Page   title </title>")).title).toBe("Page title");
    expect(htmlToMarkdown(page("<svg><title>Chart</title></svg><h1>Heading one</h1>", "")).title).toBe("Heading one");
    expect(htmlToMarkdown(page("<p>No heading.</p>", "")).title).toBeUndefined();
  });

  it("lists the content's images with their heading path and source line, and keeps their alt text", () => {
    const html = [
      "<!DOCTYPE html>",
      "<title>Pictures</title>",
      '<header><img src="logo.png" alt="Logo"></header>',
      "<main>",
      "<h1>Gauges</h1>",
      '<img src="a.png" alt="First gauge">',
      "<h2>Detail</h2>",
      '<p>Inline <img src="b.jpg"> picture and <img alt="no source"></p>',
      "</main>",
    ].join("\n");
    const { images, markdown } = htmlToMarkdown(html);
    expect(images).toEqual([
      { src: "a.png", alt: "First gauge", headings: ["Gauges"], line: 6 },
      { src: "b.jpg", alt: "", headings: ["Gauges", "Detail"], line: 8 },
    ]);
    expect(markdown).toContain("[image: First gauge]");
    expect(markdown).not.toContain("Logo");
  });
});
