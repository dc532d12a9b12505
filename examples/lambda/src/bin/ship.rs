//! The Lambda function of `stepfn_example_lambda::Checkout`'s handler `ship`.

#[tokio::main]
async fn main() -> Result<(), stepfn::lambda::Error> {
    stepfn::lambda::serve::<stepfn_example_lambda::Checkout>("ship").await
}
