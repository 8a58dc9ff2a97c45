// The one D1 binding that counts what goes through it, for every test (and the benchmark) that counts
// D1 work: every statement is a query (also inside a `db.batch`: the Free plan's stricter reading),
// every batch and every statement run on its own is a round trip, and `meta.rows_written` is summed
// from the answers.

export interface D1Meter {
  db: D1Database;
  /** Statements executed: a batch of N counts N. */
  queries(): number;
  /** Round trips to D1: each batch, each statement run on its own, each exec. */
  trips(): number;
  /** Rows written, as D1 reports them in `meta.rows_written`. */
  rowsWritten(): number;
  /** Starts counting again from zero. */
  reset(): void;
}

function written(result: unknown): number {
  const meta = (result as { meta?: { rows_written?: number } } | null)?.meta;
  return meta?.rows_written ?? 0;
}

export function meterD1(real: D1Database): D1Meter {
  let queries = 0;
  let trips = 0;
  let rows = 0;
  const originals = new WeakMap<object, D1PreparedStatement>();
  const once = () => {
    queries++;
    trips++;
  };
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const wrapped = {
      bind: (...values: unknown[]) => wrap(stmt.bind(...values)),
      first: (column?: string) => {
        once();
        return column === undefined ? stmt.first() : stmt.first(column);
      },
      run: async () => {
        once();
        const result = await stmt.run();
        rows += written(result);
        return result;
      },
      all: async () => {
        once();
        const result = await stmt.all();
        rows += written(result);
        return result;
      },
      raw: (options?: { columnNames?: boolean }) => {
        once();
        return stmt.raw(options as { columnNames: true });
      },
    } as unknown as D1PreparedStatement;
    originals.set(wrapped, stmt);
    return wrapped;
  };
  const db = {
    prepare: (sql: string) => wrap(real.prepare(sql)),
    batch: async (statements: D1PreparedStatement[]) => {
      trips++;
      queries += statements.length;
      const results = await real.batch(statements.map((s) => originals.get(s) ?? s));
      for (const result of results) rows += written(result);
      return results;
    },
    exec: async (sql: string) => {
      trips++;
      const result = await real.exec(sql);
      queries += result.count;
      return result;
    },
    withSession: () => {
      throw new Error("not used by batchwatch");
    },
    dump: () => real.dump(),
  } as unknown as D1Database;
  return {
    db,
    queries: () => queries,
    trips: () => trips,
    rowsWritten: () => rows,
    reset: () => {
      queries = 0;
      trips = 0;
      rows = 0;
    },
  };
}
