//! The benchmark workloads of `../shared/bench/workloads`, written with `workflow!`.
//!
//! Each is the same state machine as its `.asl.json` (the differential test runs both and compares
//! outputs and history event types); `e_retry_catch`'s retrier waits 1 s (ASL's minimum) where
//! the benchmark overrides it to 0, so benchmarks run it on tokio's paused clock.

use stepfn::workflow;

workflow! {
    /// `t_trivial_3`: Pass, Pass, Succeed.
    pub TrivialThree {
        start A;
        A: pass {
            result_path "$.a";
            result {"a": 1};
        } -> B;
        B: pass {
            parameters {"a.$": "$.a.a", "b": 2};
        } -> C;
        C: succeed;
    }

    /// `a_pass_chain_100`: 100 Pass states with Parameters/ResultPath
    pub PassChain100 {
        comment "100 Pass states with Parameters/ResultPath";
        start P0;
        P0: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P0"};
        } -> P1;
        P1: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P1"};
        } -> P2;
        P2: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P2"};
        } -> P3;
        P3: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P3"};
        } -> P4;
        P4: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P4"};
        } -> P5;
        P5: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P5"};
        } -> P6;
        P6: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P6"};
        } -> P7;
        P7: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P7"};
        } -> P8;
        P8: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P8"};
        } -> P9;
        P9: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P9"};
        } -> P10;
        P10: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P10"};
        } -> P11;
        P11: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P11"};
        } -> P12;
        P12: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P12"};
        } -> P13;
        P13: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P13"};
        } -> P14;
        P14: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P14"};
        } -> P15;
        P15: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P15"};
        } -> P16;
        P16: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P16"};
        } -> P17;
        P17: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P17"};
        } -> P18;
        P18: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P18"};
        } -> P19;
        P19: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P19"};
        } -> P20;
        P20: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P20"};
        } -> P21;
        P21: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P21"};
        } -> P22;
        P22: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P22"};
        } -> P23;
        P23: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P23"};
        } -> P24;
        P24: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P24"};
        } -> P25;
        P25: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P25"};
        } -> P26;
        P26: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P26"};
        } -> P27;
        P27: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P27"};
        } -> P28;
        P28: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P28"};
        } -> P29;
        P29: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P29"};
        } -> P30;
        P30: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P30"};
        } -> P31;
        P31: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P31"};
        } -> P32;
        P32: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P32"};
        } -> P33;
        P33: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P33"};
        } -> P34;
        P34: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P34"};
        } -> P35;
        P35: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P35"};
        } -> P36;
        P36: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P36"};
        } -> P37;
        P37: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P37"};
        } -> P38;
        P38: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P38"};
        } -> P39;
        P39: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P39"};
        } -> P40;
        P40: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P40"};
        } -> P41;
        P41: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P41"};
        } -> P42;
        P42: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P42"};
        } -> P43;
        P43: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P43"};
        } -> P44;
        P44: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P44"};
        } -> P45;
        P45: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P45"};
        } -> P46;
        P46: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P46"};
        } -> P47;
        P47: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P47"};
        } -> P48;
        P48: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P48"};
        } -> P49;
        P49: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P49"};
        } -> P50;
        P50: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P50"};
        } -> P51;
        P51: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P51"};
        } -> P52;
        P52: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P52"};
        } -> P53;
        P53: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P53"};
        } -> P54;
        P54: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P54"};
        } -> P55;
        P55: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P55"};
        } -> P56;
        P56: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P56"};
        } -> P57;
        P57: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P57"};
        } -> P58;
        P58: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P58"};
        } -> P59;
        P59: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P59"};
        } -> P60;
        P60: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P60"};
        } -> P61;
        P61: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P61"};
        } -> P62;
        P62: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P62"};
        } -> P63;
        P63: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P63"};
        } -> P64;
        P64: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P64"};
        } -> P65;
        P65: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P65"};
        } -> P66;
        P66: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P66"};
        } -> P67;
        P67: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P67"};
        } -> P68;
        P68: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P68"};
        } -> P69;
        P69: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P69"};
        } -> P70;
        P70: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P70"};
        } -> P71;
        P71: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P71"};
        } -> P72;
        P72: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P72"};
        } -> P73;
        P73: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P73"};
        } -> P74;
        P74: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P74"};
        } -> P75;
        P75: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P75"};
        } -> P76;
        P76: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P76"};
        } -> P77;
        P77: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P77"};
        } -> P78;
        P78: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P78"};
        } -> P79;
        P79: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P79"};
        } -> P80;
        P80: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P80"};
        } -> P81;
        P81: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P81"};
        } -> P82;
        P82: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P82"};
        } -> P83;
        P83: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P83"};
        } -> P84;
        P84: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P84"};
        } -> P85;
        P85: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P85"};
        } -> P86;
        P86: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P86"};
        } -> P87;
        P87: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P87"};
        } -> P88;
        P88: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P88"};
        } -> P89;
        P89: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P89"};
        } -> P90;
        P90: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P90"};
        } -> P91;
        P91: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P91"};
        } -> P92;
        P92: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P92"};
        } -> P93;
        P93: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P93"};
        } -> P94;
        P94: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P94"};
        } -> P95;
        P95: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P95"};
        } -> P96;
        P96: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P96"};
        } -> P97;
        P97: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P97"};
        } -> P98;
        P98: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P98"};
        } -> P99;
        P99: pass {
            result_path "$.counter";
            parameters {"n.$": "States.MathAdd($.counter.n, 1)", "last": "P99"};
        } end;
    }

    /// `b_choice_loop_10k`: count 0..10000 with MathAdd + Choice
    pub ChoiceLoop10k {
        comment "count 0..10000 with MathAdd + Choice";
        start Check;
        Check: choice {
            "$.i" < 10000 => Incr,
            _ => Done,
        }
        Incr: pass {
            parameters {"i.$": "States.MathAdd($.i, 1)"};
        } -> Check;
        Done: succeed;
    }

    /// `c_map_10k`: Map over 10k items
    pub Map10k {
        comment "Map over 10k items";
        start EachItem;
        EachItem: map {
            items "$.items";
            max_concurrency 0;
            mode inline;
            processor {
                start Reshape;
                Reshape: pass {
                    parameters {"key.$": "$.id", "label.$": "States.Format('#{}:{}', $.id, $.name)", "cost.$": "$.price", "dims": {"qty.$": "$.qty"}};
                } end;
            }
        } end;
    }

    /// `d_parallel_10x10`: Parallel 10 branches x 10 Pass
    pub Parallel10x10 {
        comment "Parallel 10 branches x 10 Pass";
        start Fan;
        Fan: parallel {
            branch {
                start B0_0;
                B0_0: pass {
                    parameters {"branch": 0, "step.$": "States.MathAdd($.step, 1)"};
                } -> B0_1;
                B0_1: pass {
                    parameters {"branch": 0, "step.$": "States.MathAdd($.step, 1)"};
                } -> B0_2;
                B0_2: pass {
                    parameters {"branch": 0, "step.$": "States.MathAdd($.step, 1)"};
                } -> B0_3;
                B0_3: pass {
                    parameters {"branch": 0, "step.$": "States.MathAdd($.step, 1)"};
                } -> B0_4;
                B0_4: pass {
                    parameters {"branch": 0, "step.$": "States.MathAdd($.step, 1)"};
                } -> B0_5;
                B0_5: pass {
                    parameters {"branch": 0, "step.$": "States.MathAdd($.step, 1)"};
                } -> B0_6;
                B0_6: pass {
                    parameters {"branch": 0, "step.$": "States.MathAdd($.step, 1)"};
                } -> B0_7;
                B0_7: pass {
                    parameters {"branch": 0, "step.$": "States.MathAdd($.step, 1)"};
                } -> B0_8;
                B0_8: pass {
                    parameters {"branch": 0, "step.$": "States.MathAdd($.step, 1)"};
                } -> B0_9;
                B0_9: pass {
                    parameters {"branch": 0, "step.$": "States.MathAdd($.step, 1)"};
                } end;
            }
            branch {
                start B1_0;
                B1_0: pass {
                    parameters {"branch": 1, "step.$": "States.MathAdd($.step, 1)"};
                } -> B1_1;
                B1_1: pass {
                    parameters {"branch": 1, "step.$": "States.MathAdd($.step, 1)"};
                } -> B1_2;
                B1_2: pass {
                    parameters {"branch": 1, "step.$": "States.MathAdd($.step, 1)"};
                } -> B1_3;
                B1_3: pass {
                    parameters {"branch": 1, "step.$": "States.MathAdd($.step, 1)"};
                } -> B1_4;
                B1_4: pass {
                    parameters {"branch": 1, "step.$": "States.MathAdd($.step, 1)"};
                } -> B1_5;
                B1_5: pass {
                    parameters {"branch": 1, "step.$": "States.MathAdd($.step, 1)"};
                } -> B1_6;
                B1_6: pass {
                    parameters {"branch": 1, "step.$": "States.MathAdd($.step, 1)"};
                } -> B1_7;
                B1_7: pass {
                    parameters {"branch": 1, "step.$": "States.MathAdd($.step, 1)"};
                } -> B1_8;
                B1_8: pass {
                    parameters {"branch": 1, "step.$": "States.MathAdd($.step, 1)"};
                } -> B1_9;
                B1_9: pass {
                    parameters {"branch": 1, "step.$": "States.MathAdd($.step, 1)"};
                } end;
            }
            branch {
                start B2_0;
                B2_0: pass {
                    parameters {"branch": 2, "step.$": "States.MathAdd($.step, 1)"};
                } -> B2_1;
                B2_1: pass {
                    parameters {"branch": 2, "step.$": "States.MathAdd($.step, 1)"};
                } -> B2_2;
                B2_2: pass {
                    parameters {"branch": 2, "step.$": "States.MathAdd($.step, 1)"};
                } -> B2_3;
                B2_3: pass {
                    parameters {"branch": 2, "step.$": "States.MathAdd($.step, 1)"};
                } -> B2_4;
                B2_4: pass {
                    parameters {"branch": 2, "step.$": "States.MathAdd($.step, 1)"};
                } -> B2_5;
                B2_5: pass {
                    parameters {"branch": 2, "step.$": "States.MathAdd($.step, 1)"};
                } -> B2_6;
                B2_6: pass {
                    parameters {"branch": 2, "step.$": "States.MathAdd($.step, 1)"};
                } -> B2_7;
                B2_7: pass {
                    parameters {"branch": 2, "step.$": "States.MathAdd($.step, 1)"};
                } -> B2_8;
                B2_8: pass {
                    parameters {"branch": 2, "step.$": "States.MathAdd($.step, 1)"};
                } -> B2_9;
                B2_9: pass {
                    parameters {"branch": 2, "step.$": "States.MathAdd($.step, 1)"};
                } end;
            }
            branch {
                start B3_0;
                B3_0: pass {
                    parameters {"branch": 3, "step.$": "States.MathAdd($.step, 1)"};
                } -> B3_1;
                B3_1: pass {
                    parameters {"branch": 3, "step.$": "States.MathAdd($.step, 1)"};
                } -> B3_2;
                B3_2: pass {
                    parameters {"branch": 3, "step.$": "States.MathAdd($.step, 1)"};
                } -> B3_3;
                B3_3: pass {
                    parameters {"branch": 3, "step.$": "States.MathAdd($.step, 1)"};
                } -> B3_4;
                B3_4: pass {
                    parameters {"branch": 3, "step.$": "States.MathAdd($.step, 1)"};
                } -> B3_5;
                B3_5: pass {
                    parameters {"branch": 3, "step.$": "States.MathAdd($.step, 1)"};
                } -> B3_6;
                B3_6: pass {
                    parameters {"branch": 3, "step.$": "States.MathAdd($.step, 1)"};
                } -> B3_7;
                B3_7: pass {
                    parameters {"branch": 3, "step.$": "States.MathAdd($.step, 1)"};
                } -> B3_8;
                B3_8: pass {
                    parameters {"branch": 3, "step.$": "States.MathAdd($.step, 1)"};
                } -> B3_9;
                B3_9: pass {
                    parameters {"branch": 3, "step.$": "States.MathAdd($.step, 1)"};
                } end;
            }
            branch {
                start B4_0;
                B4_0: pass {
                    parameters {"branch": 4, "step.$": "States.MathAdd($.step, 1)"};
                } -> B4_1;
                B4_1: pass {
                    parameters {"branch": 4, "step.$": "States.MathAdd($.step, 1)"};
                } -> B4_2;
                B4_2: pass {
                    parameters {"branch": 4, "step.$": "States.MathAdd($.step, 1)"};
                } -> B4_3;
                B4_3: pass {
                    parameters {"branch": 4, "step.$": "States.MathAdd($.step, 1)"};
                } -> B4_4;
                B4_4: pass {
                    parameters {"branch": 4, "step.$": "States.MathAdd($.step, 1)"};
                } -> B4_5;
                B4_5: pass {
                    parameters {"branch": 4, "step.$": "States.MathAdd($.step, 1)"};
                } -> B4_6;
                B4_6: pass {
                    parameters {"branch": 4, "step.$": "States.MathAdd($.step, 1)"};
                } -> B4_7;
                B4_7: pass {
                    parameters {"branch": 4, "step.$": "States.MathAdd($.step, 1)"};
                } -> B4_8;
                B4_8: pass {
                    parameters {"branch": 4, "step.$": "States.MathAdd($.step, 1)"};
                } -> B4_9;
                B4_9: pass {
                    parameters {"branch": 4, "step.$": "States.MathAdd($.step, 1)"};
                } end;
            }
            branch {
                start B5_0;
                B5_0: pass {
                    parameters {"branch": 5, "step.$": "States.MathAdd($.step, 1)"};
                } -> B5_1;
                B5_1: pass {
                    parameters {"branch": 5, "step.$": "States.MathAdd($.step, 1)"};
                } -> B5_2;
                B5_2: pass {
                    parameters {"branch": 5, "step.$": "States.MathAdd($.step, 1)"};
                } -> B5_3;
                B5_3: pass {
                    parameters {"branch": 5, "step.$": "States.MathAdd($.step, 1)"};
                } -> B5_4;
                B5_4: pass {
                    parameters {"branch": 5, "step.$": "States.MathAdd($.step, 1)"};
                } -> B5_5;
                B5_5: pass {
                    parameters {"branch": 5, "step.$": "States.MathAdd($.step, 1)"};
                } -> B5_6;
                B5_6: pass {
                    parameters {"branch": 5, "step.$": "States.MathAdd($.step, 1)"};
                } -> B5_7;
                B5_7: pass {
                    parameters {"branch": 5, "step.$": "States.MathAdd($.step, 1)"};
                } -> B5_8;
                B5_8: pass {
                    parameters {"branch": 5, "step.$": "States.MathAdd($.step, 1)"};
                } -> B5_9;
                B5_9: pass {
                    parameters {"branch": 5, "step.$": "States.MathAdd($.step, 1)"};
                } end;
            }
            branch {
                start B6_0;
                B6_0: pass {
                    parameters {"branch": 6, "step.$": "States.MathAdd($.step, 1)"};
                } -> B6_1;
                B6_1: pass {
                    parameters {"branch": 6, "step.$": "States.MathAdd($.step, 1)"};
                } -> B6_2;
                B6_2: pass {
                    parameters {"branch": 6, "step.$": "States.MathAdd($.step, 1)"};
                } -> B6_3;
                B6_3: pass {
                    parameters {"branch": 6, "step.$": "States.MathAdd($.step, 1)"};
                } -> B6_4;
                B6_4: pass {
                    parameters {"branch": 6, "step.$": "States.MathAdd($.step, 1)"};
                } -> B6_5;
                B6_5: pass {
                    parameters {"branch": 6, "step.$": "States.MathAdd($.step, 1)"};
                } -> B6_6;
                B6_6: pass {
                    parameters {"branch": 6, "step.$": "States.MathAdd($.step, 1)"};
                } -> B6_7;
                B6_7: pass {
                    parameters {"branch": 6, "step.$": "States.MathAdd($.step, 1)"};
                } -> B6_8;
                B6_8: pass {
                    parameters {"branch": 6, "step.$": "States.MathAdd($.step, 1)"};
                } -> B6_9;
                B6_9: pass {
                    parameters {"branch": 6, "step.$": "States.MathAdd($.step, 1)"};
                } end;
            }
            branch {
                start B7_0;
                B7_0: pass {
                    parameters {"branch": 7, "step.$": "States.MathAdd($.step, 1)"};
                } -> B7_1;
                B7_1: pass {
                    parameters {"branch": 7, "step.$": "States.MathAdd($.step, 1)"};
                } -> B7_2;
                B7_2: pass {
                    parameters {"branch": 7, "step.$": "States.MathAdd($.step, 1)"};
                } -> B7_3;
                B7_3: pass {
                    parameters {"branch": 7, "step.$": "States.MathAdd($.step, 1)"};
                } -> B7_4;
                B7_4: pass {
                    parameters {"branch": 7, "step.$": "States.MathAdd($.step, 1)"};
                } -> B7_5;
                B7_5: pass {
                    parameters {"branch": 7, "step.$": "States.MathAdd($.step, 1)"};
                } -> B7_6;
                B7_6: pass {
                    parameters {"branch": 7, "step.$": "States.MathAdd($.step, 1)"};
                } -> B7_7;
                B7_7: pass {
                    parameters {"branch": 7, "step.$": "States.MathAdd($.step, 1)"};
                } -> B7_8;
                B7_8: pass {
                    parameters {"branch": 7, "step.$": "States.MathAdd($.step, 1)"};
                } -> B7_9;
                B7_9: pass {
                    parameters {"branch": 7, "step.$": "States.MathAdd($.step, 1)"};
                } end;
            }
            branch {
                start B8_0;
                B8_0: pass {
                    parameters {"branch": 8, "step.$": "States.MathAdd($.step, 1)"};
                } -> B8_1;
                B8_1: pass {
                    parameters {"branch": 8, "step.$": "States.MathAdd($.step, 1)"};
                } -> B8_2;
                B8_2: pass {
                    parameters {"branch": 8, "step.$": "States.MathAdd($.step, 1)"};
                } -> B8_3;
                B8_3: pass {
                    parameters {"branch": 8, "step.$": "States.MathAdd($.step, 1)"};
                } -> B8_4;
                B8_4: pass {
                    parameters {"branch": 8, "step.$": "States.MathAdd($.step, 1)"};
                } -> B8_5;
                B8_5: pass {
                    parameters {"branch": 8, "step.$": "States.MathAdd($.step, 1)"};
                } -> B8_6;
                B8_6: pass {
                    parameters {"branch": 8, "step.$": "States.MathAdd($.step, 1)"};
                } -> B8_7;
                B8_7: pass {
                    parameters {"branch": 8, "step.$": "States.MathAdd($.step, 1)"};
                } -> B8_8;
                B8_8: pass {
                    parameters {"branch": 8, "step.$": "States.MathAdd($.step, 1)"};
                } -> B8_9;
                B8_9: pass {
                    parameters {"branch": 8, "step.$": "States.MathAdd($.step, 1)"};
                } end;
            }
            branch {
                start B9_0;
                B9_0: pass {
                    parameters {"branch": 9, "step.$": "States.MathAdd($.step, 1)"};
                } -> B9_1;
                B9_1: pass {
                    parameters {"branch": 9, "step.$": "States.MathAdd($.step, 1)"};
                } -> B9_2;
                B9_2: pass {
                    parameters {"branch": 9, "step.$": "States.MathAdd($.step, 1)"};
                } -> B9_3;
                B9_3: pass {
                    parameters {"branch": 9, "step.$": "States.MathAdd($.step, 1)"};
                } -> B9_4;
                B9_4: pass {
                    parameters {"branch": 9, "step.$": "States.MathAdd($.step, 1)"};
                } -> B9_5;
                B9_5: pass {
                    parameters {"branch": 9, "step.$": "States.MathAdd($.step, 1)"};
                } -> B9_6;
                B9_6: pass {
                    parameters {"branch": 9, "step.$": "States.MathAdd($.step, 1)"};
                } -> B9_7;
                B9_7: pass {
                    parameters {"branch": 9, "step.$": "States.MathAdd($.step, 1)"};
                } -> B9_8;
                B9_8: pass {
                    parameters {"branch": 9, "step.$": "States.MathAdd($.step, 1)"};
                } -> B9_9;
                B9_9: pass {
                    parameters {"branch": 9, "step.$": "States.MathAdd($.step, 1)"};
                } end;
            }
        } end;
    }

    /// `e_retry_catch`: Fail inside Parallel, retried twice, then caught
    pub RetryCatch {
        comment "Fail inside Parallel, retried twice, then caught";
        start Guarded;
        Guarded: parallel {
            retry ["Custom.Boom"] every 1s, 2 times, backoff 1.0;
            catch ["Custom.Other"] -> Unreached;
            catch ["States.ALL"] into "$.error" -> Recovered;
            branch {
                start Prep;
                Prep: pass {
                    result_path "$.prep";
                    result "prepped";
                } -> Boom;
                Boom: fail "Custom.Boom", "it went boom";
            }
        } -> Unreached;
        Unreached: fail "ShouldNotHappen";
        Recovered: pass {
            parameters {"recovered": true, "error.$": "$.error.Error", "cause.$": "$.error.Cause", "x.$": "$.x"};
        } -> Done;
        Done: succeed;
    }
}
