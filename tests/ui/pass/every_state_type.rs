use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

#[derive(Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub total: f64,
}

#[derive(Serialize, Deserialize)]
pub struct Charged {
    pub id: String,
}

async fn charge(o: Order) -> Result<Charged, TaskError> {
    Ok(Charged { id: o.id })
}

async fn notify(c: Charged) -> Result<serde_json::Value, TaskError> {
    Ok(serde_json::json!({ "notified": c.id }))
}

async fn echo(v: serde_json::Value) -> Result<serde_json::Value, TaskError> {
    Ok(v)
}

workflow! {
    /// Every state type and most fields, in one workflow.
    pub Everything(Order) -> serde_json::Value {
        comment "every state type";
        timeout 3600;
        version "1.0";
        start Charge;

        Charge: task charge {
            comment "typed handler";
            timeout 30s;
            heartbeat 10s;
            retry [Payment.Busy, States.Timeout] every 2s, 3 times, backoff 2.0, max 30s, jitter;
            retry [States.ALL] every 1s, 1 times;
            catch [Payment.Declined] into $.error -> Declined;
            catch [States.ALL] into null -> Declined {
                assign { "failedWith.$": "$.Error" };
                comment "remember why";
            }
        } -> Notify;
        Notify: task notify -> Shape;
        Shape: pass {
            input_path $;
            parameters { "id.$": "$.notified", "n.$": "States.MathAdd(1, 2)", "ctx.$": "$$.Execution.Id", "fixed": [1, 2.5, true, null, { "k": "v" }] };
            result_path $.shaped;
            output_path $.shaped;
            assign { "seen": true, "idCopy.$": "$.id" };
        } -> Route;
        Route: choice {
            $.n == 3 && $.id is present => Later,
            $.n > 100 || $.id matches "vip-*" => Branches,
            !($.id == "x") && $.n <= 50 && $.n >= 0 && $.n < 51 => Each,
            $.id != "y" => Each,
            $.n == number($.n) => Each,
            $.when > timestamp("2024-01-01T00:00:00Z") => Each,
            $.flag == true || $.id is not null || $.n is numeric || $.id is string || $.flag is boolean || $.when is timestamp => Each,
            _ => Later,
        }
        Later: wait 1s -> Until;
        Until: wait until "2020-01-01T00:00:00Z" -> SecondsFromInput;
        SecondsFromInput: wait "$.missing_seconds_are_a_runtime_error" -> AtInput;
        AtInput: wait until $.deadline -> Each;
        Branches: parallel {
            branch {
                start One;
                One: pass { result "one"; } end;
            }
            branch {
                Two: task echo {
                    resource "arn:aws:lambda:us-east-1:123456789012:function:echo";
                    parameters { "two": 2 };
                    result_selector { "got.$": "$.two" };
                } end;
            }
            result_path $.branches;
            retry [States.ALL] every 1s;
            catch [States.ALL] -> Declined;
        } -> Each;
        Each: map $.items {
            item_selector { "item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index" };
            max_concurrency 4;
            label "each";
            processor {
                start Inner;
                Inner: pass end;
            }
            result_path $.each;
        } -> Distributed;
        Distributed: map {
            items $.items;
            mode distributed;
            execution_type "STANDARD";
            tolerated_failures 2;
            tolerated_percentage 10;
            processor {
                Leaf: succeed;
            }
        } -> Done;
        Done: succeed {
            output_path $;
        }
        Declined: fail "Order.Declined", "the card was declined";
    }

    /// A JSONata workflow in the same macro.
    pub Jsonata {
        query_language jsonata;
        Start: pass {
            output { "total": "{% $states.input.a + $states.input.b %}" };
            assign { "x": "{% $states.input.a %}" };
        } -> Decide;
        Decide: choice {
            "{% $x > 1 %}" => Big {
                assign { "wasBig": true };
                output { "x": "{% $x %}" };
            },
            _ => Small,
        }
        Big: succeed;
        Small: fail {
            "Error": "{% 'Small' %}";
            "Cause": "too small";
        }
    }
}

fn main() {
    let _ = Everything::ASL;
    let _ = Jsonata::state_machine();
}
