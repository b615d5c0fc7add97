//! `column IN (…)` that both databases can keep prepared.
//!
//! diesel's `eq_any` writes one bind parameter per value on SQLite (`IN (?, ?, …)`), so every
//! list length is new SQL and the statement is prepared again on every call; a page of 20 cards
//! paid that five times (listings, links, certifications, photos, places). [`in_list`] binds the
//! whole list as one parameter instead, so the SQL is the same for every list and diesel's
//! statement cache keeps it:
//! - SQLite: `column IN (SELECT value FROM json_each(?))` with the values as a JSON array
//!   (SQLite still probes the column's index once per value);
//! - PostgreSQL: `column = ANY(?)` with an array, as `eq_any` does there.

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Array, Bool, SingleValue, Text};
use diesel::sqlite::Sqlite;
use diesel::QueryResult;

/// `column` is one of `values`; see the module documentation.
#[derive(Debug, Clone)]
pub struct InList<C, T> {
    column: C,
    values: Vec<T>,
    /// The values as a JSON array, for SQLite.
    json: String,
}

/// `column IN values`, one bind parameter on both databases (cacheable as a prepared statement).
pub fn in_list<C, T>(column: C, values: &[T]) -> InList<C, T>
where
    T: Clone + serde::Serialize,
{
    InList {
        column,
        values: values.to_vec(),
        // Serialising integers and strings cannot fail; an empty list matches nothing either way.
        json: serde_json::to_string(values).unwrap_or_else(|_| "[]".to_owned()),
    }
}

impl<C, T> Expression for InList<C, T> {
    type SqlType = Bool;
}

impl<C, T, QS> AppearsOnTable<QS> for InList<C, T> where C: AppearsOnTable<QS> {}

impl<C, T, QS> SelectableExpression<QS> for InList<C, T> where C: SelectableExpression<QS> {}

impl<C, T, GB> ValidGrouping<GB> for InList<C, T>
where
    C: ValidGrouping<GB>,
{
    type IsAggregate = C::IsAggregate;
}

impl<C, T> QueryId for InList<C, T> {
    type QueryId = ();
    /// Not a static id: diesel then keys its statement cache by the SQL text, which is the same
    /// for every list.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C, T> QueryFragment<Sqlite> for InList<C, T>
where
    C: QueryFragment<Sqlite>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C, T> QueryFragment<Pg> for InList<C, T>
where
    C: QueryFragment<Pg> + Expression,
    C::SqlType: SingleValue,
    Vec<T>: ToSql<Array<C::SqlType>, Pg>,
    Pg: diesel::sql_types::HasSqlType<C::SqlType>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" = ANY(");
        out.push_bind_param::<Array<C::SqlType>, _>(&self.values)?;
        out.push_sql(")");
        Ok(())
    }
}
