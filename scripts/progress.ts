/**
 * Progress of a long command on stderr, gone once the command is done so
 * only its summary remains: on a terminal a bar redrawn in place and erased
 * at the end; in a log or a pipe a line per 10 %, and only when the work
 * lasts long enough to need one (a file imported in a second prints its
 * summary and nothing else).
 */
export interface ProgressStream {
  isTTY?: boolean | undefined;
  write(text: string): unknown;
}

export class Progress {
  readonly #stream: ProgressStream;
  readonly #total: number;
  readonly #started: number;
  readonly #quietForMs: number;
  readonly #now: () => number;
  #lastDecile = 0;
  #drawn = false;

  constructor(stream: ProgressStream, total: number, options: { quietForMs?: number; now?: () => number } = {}) {
    this.#stream = stream;
    this.#total = total;
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
    this.#quietForMs = options.quietForMs ?? 2_000;
  }

  update(done: number): void {
    const ratio = this.#total === 0 ? 1 : Math.min(1, done / this.#total);
    const elapsedMs = this.#now() - this.#started;
    const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    const eta = rate > 0 ? Math.ceil((this.#total - done) / rate) : undefined;
    const line = `${done.toLocaleString('en-US')}/${this.#total.toLocaleString('en-US')} rows ${String(Math.floor(ratio * 100)).padStart(3)}%  ${Math.round(rate).toLocaleString('en-US')} rows/s${eta === undefined ? '' : `  ETA ${eta}s`}`;
    if (this.#stream.isTTY) {
      const width = 30;
      const filled = Math.round(ratio * width);
      this.#stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${line}\x1b[K`);
      this.#drawn = true;
      return;
    }
    // The last tenth is the summary's to tell.
    const decile = Math.floor(ratio * 10);
    if (decile > this.#lastDecile && decile < 10 && elapsedMs >= this.#quietForMs) {
      this.#lastDecile = decile;
      this.#stream.write(`${line}\n`);
    }
  }

  /** Erases the bar, so the summary that follows stands alone. */
  finish(): void {
    if (this.#drawn) this.#stream.write('\r\x1b[K');
    this.#drawn = false;
  }
}
