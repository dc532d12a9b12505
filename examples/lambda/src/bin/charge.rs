//! The Lambda function of `stepfn_example_lambda::Checkout`'s handler `charge`.

#[tokio::main]
async fn main() -> Result<(), stepfn::lambda::Error> {
    stepfn::lambda::serve::<stepfn_example_lambda::Checkout>("charge").await
}
