//! Plain ASCII tables in the style of `cv api4 ... -T`: borders of `+`, `-` and `|`, a ruled header,
//! no colours, and no wrapping, so ids can be copied whole and output piped as it is.

use comfy_table::{ContentArrangement, ContentLineStyle, LineStyle, Table, TableStyle};

/// The table style: ruled top, header and bottom, no lines between rows.
const STYLE: TableStyle = TableStyle::new()
    .top_border(LineStyle::new('+', '-', '+', '+'))
    .header_lines(ContentLineStyle::new('|', '|', '|'))
    .header_separator(LineStyle::new('+', '-', '+', '+'))
    .content_lines(ContentLineStyle::new('|', '|', '|'))
    .bottom_border(LineStyle::new('+', '-', '+', '+'));

fn new_table() -> Table {
    let mut table = Table::new();
    table
        .load_style(STYLE)
        .set_content_arrangement(ContentArrangement::Disabled);
    table
}

/// A table with a header row, ending in a newline.
pub fn with_header(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut table = new_table();
    table.set_header(headers.to_vec()).add_rows(rows);
    format!("{table}\n")
}

/// A two-column table of `field | value` lines, ending in a newline.
pub fn fields(fields: Vec<(&'static str, String)>) -> String {
    let mut table = new_table();
    table.add_rows(fields.into_iter().map(|(k, v)| vec![k.to_string(), v]));
    format!("{table}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_looks_like_cv_table_output() {
        let text = with_header(
            &["name", "title"],
            vec![
                vec!["demo".into(), "Local Demo".into()],
                vec!["ms-exchange".into(), "Microsoft: Exchange Online".into()],
            ],
        );
        let expected = "\
+-------------+----------------------------+
| name        | title                      |
+-------------+----------------------------+
| demo        | Local Demo                 |
| ms-exchange | Microsoft: Exchange Online |
+-------------+----------------------------+
";
        assert_eq!(text, expected);
    }

    #[test]
    fn long_values_are_never_wrapped_or_cut() {
        let long = "x".repeat(300);
        let text = fields(vec![("id", long.clone())]);
        assert!(text.lines().any(|l| l.contains(&long)), "{text}");
    }
}
