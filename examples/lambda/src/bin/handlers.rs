//! The Lambda functions of [`Checkout`]: one binary, one function per handler (see
//! `stepfn::lambda`).

use stepfn_example_lambda::Checkout;

#[tokio::main]
async fn main() -> Result<(), stepfn::lambda::Error> {
    stepfn::lambda::serve::<Checkout>().await
}
