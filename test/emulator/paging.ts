/** Google-style list pages: `pageSize`/`pageToken` in, `{<items>, nextPageToken?}` out, `{}` when empty. */

export function paginate<T>(
  field: string,
  all: readonly T[],
  query: Record<string, string>,
  sizes: { pageSize: number; max: number },
  render: (item: T) => unknown,
): Record<string, unknown> {
  const size = Math.min(Math.max(Number(query.pageSize) || sizes.pageSize, 1), sizes.max);
  const start = Number(query.pageToken ? Buffer.from(query.pageToken, "base64url").toString() : 0) || 0;
  const page = all.slice(start, start + size);
  const reply: Record<string, unknown> = {};
  if (page.length > 0) reply[field] = page.map(render);
  if (start + size < all.length) reply.nextPageToken = Buffer.from(String(start + size)).toString("base64url");
  return reply;
}
