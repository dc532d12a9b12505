//! Parallel: screen a customer against independent checks at once; the output holds every
//! branch's result in branch order.

use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

/// A customer to screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// The name.
    pub name: String,
    /// The country code.
    pub country: String,
}

/// One check's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Which check.
    pub check: String,
    /// Passed or not.
    pub ok: bool,
}

/// Sanctions screening.
pub async fn sanctions(c: Customer) -> Result<Verdict, TaskError> {
    Ok(Verdict {
        check: "sanctions".into(),
        ok: c.country != "XX",
    })
}

/// Credit check.
pub async fn credit(c: Customer) -> Result<Verdict, TaskError> {
    Ok(Verdict {
        check: "credit".into(),
        ok: !c.name.is_empty(),
    })
}

workflow! {
    /// Screen a customer with independent checks in parallel.
    pub Screening(Customer) -> serde_json::Value {
        Checks: parallel {
            branch {
                Sanctions: task sanctions end;
            }
            branch {
                Credit: task credit end;
            }
            result_path "$.verdicts";
        } -> Decide;
        Decide: choice {
            $.verdicts[0].ok == true && $.verdicts[1].ok == true => Approved,
            _ => Rejected,
        }
        Approved: succeed;
        Rejected: fail "Screening.Rejected", "a check did not pass";
    }
}
