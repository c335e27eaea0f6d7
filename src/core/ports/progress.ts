/**
 * How a long-running step reports where it is. The deploy engine and the report
 * recorder take one; src/deploy/progress.ts builds it over an Output.
 */
export interface Progress {
  /** Opens a named section ("plan", "deploy", "rollback"). */
  start(id: string, title: string): void;
  /** A line that stays (a decision, a warning, a failure). */
  line(text: string): void;
  /** The current state; replaces the previous one on a terminal, printed when it changes elsewhere. */
  update(text: string): void;
  /** Closes the section opened with the same id. */
  end(id: string): void;
  /** Ends a pending updating line, so whatever is printed next starts on its own line. */
  settle(): void;
}
