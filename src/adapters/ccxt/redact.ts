/**
 * Error texts from ccxt can carry a request's URL and query (a signature, sometimes a key):
 * every text that leaves the adapter (logs, events, API answers) goes through this first.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const words = secrets.filter((s) => s.length >= 4);
  return (text: string) => {
    let out = text.replace(/(signature|apiKey|api_key|X-MBX-APIKEY|listenKey)(["']?\s*[=:]\s*["']?)[A-Za-z0-9+/=_-]+/gi, '$1$2***');
    for (const w of words) out = out.split(w).join('***');
    return out;
  };
}

export const errorText = (error: unknown): string => (error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error));
