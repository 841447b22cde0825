//! What a failed query means, read once from the backend's error: which
//! unique rule of the schema refused a row, a connection that is gone, a
//! database busy with another writer. The constraint names live here with
//! the schema they belong to.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// A unique rule of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// `complaints_one_active_per_hold`: one active complaint per hold.
    ActiveComplaintPerOrder,
    /// `settlements_one_per_hold`: each escrow hold of an order is settled once.
    SettlementPerHold,
    /// Any other key: a concurrent request wrote the same row.
    Other,
}

/// Why a query failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Duplicate(Unique),
    /// The connection to the server is gone; it must not be used again.
    ConnectionLost,
    /// SQLite's busy timeout ran out behind another writer.
    Busy,
    Other,
}

impl Failure {
    pub fn of(e: &DieselError) -> Failure {
        match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // PostgreSQL names the constraint; SQLite names the columns.
                let constraint = info.constraint_name().unwrap_or_default();
                let message = info.message();
                Failure::Duplicate(
                    if constraint == "complaints_one_active_per_hold" || message.contains("complaints.order_id") {
                        Unique::ActiveComplaintPerOrder
                    } else if constraint == "settlements_one_per_hold" || message.contains("settlements.order_id") {
                        Unique::SettlementPerHold
                    } else {
                        Unique::Other
                    },
                )
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Failure::ConnectionLost,
            DieselError::DatabaseError(_, info) if info.message().contains("database is locked") => Failure::Busy,
            _ => Failure::Other,
        }
    }
}
