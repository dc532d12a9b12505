use stepfn::workflow;

workflow! {
    pub W {
        AVeryLongStateNameThatGoesOnAndOnAndOnBeyondTheEightyCharacterLimitOfStepFunctions1: succeed;
    }
}

fn main() {}
