const MAX_EXCERPT = 300;

/**
 * A short, single-line piece of a response body for errors and dead letters,
 * with every known secret of the account replaced: providers sometimes echo
 * the request (and its token) back in an error.
 */
export function excerpt(body: string, secrets: readonly string[]): string {
  let text = body.replace(/\s+/g, ' ').trim();
  for (const secret of secrets) {
    if (secret.length >= 4) text = text.split(secret).join('[redacted]');
  }
  return text.length > MAX_EXCERPT ? `${text.slice(0, MAX_EXCERPT)}…` : text;
}
