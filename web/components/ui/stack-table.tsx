import type { ReactNode } from 'react';

export interface StackTableProps {
  /** Column headings; the first column's cells are the rows' `<th scope="row">`. */
  columns: string[];
  /** Adds a last column for buttons, with a heading only screen readers hear. */
  actions?: boolean;
  /** The `<tr>`s. */
  children: ReactNode;
}

/** A table on wide screens whose rows stack into cards on phones (cells label themselves with data-label, see styles.css). */
export function StackTable({ columns, actions = false, children }: StackTableProps) {
  return (
    <div className="table-wrap">
      <table className="table table--stack">
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
            {actions ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
