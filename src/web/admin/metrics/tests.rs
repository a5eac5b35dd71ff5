use super::*;

#[test]
fn durations_read_like_people_write_them() {
    assert_eq!(human(45), "45 s");
    assert_eq!(human(720), "12 min");
    assert_eq!(human(3900), "1 h 05 min");
    assert_eq!(human(-3900), "1 h 05 min");
    assert_eq!(human(2 * 86_400 + 3 * 3600 + 300), "2 d 3 h 05 min");
}

#[test]
fn changes_are_put_in_words() {
    let slower = ChangeView {
        delta: 720.0,
        percent: Some(50.0),
    };
    assert_eq!(
        duration_change_words(Some(&slower), "slower", "faster"),
        "↑ 12 min slower than the previous period (+50 %)"
    );
    let faster = ChangeView {
        delta: -300.0,
        percent: None,
    };
    assert_eq!(
        duration_change_words(Some(&faster), "slower", "faster"),
        "↓ 5 min faster than the previous period"
    );
}

#[test]
fn chart_text_is_escaped() {
    let svg = bar_chart("x", "<b>", &[("P1 & <i>".into(), Some(60))]);
    assert!(svg.contains("<title id=\"x-title\">&lt;b&gt;</title>"));
    assert!(svg.contains("P1 &amp; &lt;i&gt;"));
    assert!(!svg.contains("<i>"));
}
