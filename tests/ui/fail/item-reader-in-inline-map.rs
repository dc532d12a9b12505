use stepfn::workflow;

workflow! {
    pub W {
        M: map $.items {
            "ItemReader": { "Resource": "arn:aws:states:::s3:getObject", "Parameters": { "Bucket": "b", "Key": "k" } };
            processor {
                P: pass end;
            }
        } end;
    }
}

fn main() {}
