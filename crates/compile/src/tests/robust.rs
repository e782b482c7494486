//! The compiler never panics, whatever the campaign text: it compiles or reports errors.

use proptest::prelude::*;

use super::*;

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("id = \"a\"".to_owned()),
        Just("slot = \"hero\"".to_owned()),
        Just("audience = \"everyone\"".to_owned()),
        "html = '[^'\\n]{0,40}'",
        "html = \"\"\"[{}<>a-z\"/=. é&;#]{0,60}\"\"\"",
        "when = \\{ within = \"[0-9é]{0,3}[smhdé]?\", viewed = \"p\" \\}",
        "when = \\{ attr = \"[a-z_]{0,8}\", gte = [0-9]{1,3} \\}",
        "schedule = \\{ start = 20[0-9]{2}-0[1-9]-1[0-9]T0[0-9]:00:00Z \\}",
        "segments = \\[\"[a-zé ]{0,6}\"\\]",
        "priority = -?[0-9]{1,12}",
        "product = \"p[0-9]\"",
        "messages = \\[\\{ segments = \\[\"l\"\\], html = \"[{}a-z]{0,10}\" \\}\\]",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_text_compiles_or_reports(text in "\\PC{0,200}") {
        let _ = one(&text);
    }

    #[test]
    fn near_valid_campaigns_compile_or_report(fields in prop::collection::vec(field(), 0..8)) {
        let text = format!("[[campaign]]\n{}\n", fields.join("\n"));
        match one(&text) {
            Ok(_) => {}
            Err(errors) => prop_assert!(errors.iter().all(|e| e.line >= 1 && e.column >= 1 && !e.hint.is_empty())),
        }
    }
}
