//! The `AssignedLicense` values of an audit record: Entra writes each licence as
//! `[SkuName=SPE_E5, AccountId=…, SkuId=06ebc4ee-…, DisabledPlans=[…]]`, one per string of a
//! JSON-encoded array (already decoded by `ModifiedProperty::old_values`). Read leniently: keys in
//! any order or case, several licences in one string, a missing name or plan list.

/// One licence as an audit record names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceEntry {
    /// Lowercase: the join key with `subscribedSkus` and `assignLicense`.
    pub sku_id: String,
    /// `SkuName` (the product's part number), when given.
    pub sku_name: Option<String>,
    /// The service plans that were turned off in this assignment, kept so a bring-back
    /// assigns the licence as it was.
    pub disabled_plans: Vec<String>,
}

/// Every licence named in `values` (the decoded strings of one `AssignedLicense` value).
pub fn entries(values: &[String]) -> Vec<LicenceEntry> {
    let mut out = Vec::new();
    for v in values {
        collect(v, &mut out);
    }
    out
}

/// The licences in `old` that `new` lacks: what a change took.
pub fn taken(old: &[LicenceEntry], new: &[LicenceEntry]) -> Vec<LicenceEntry> {
    old.iter()
        .filter(|o| !new.iter().any(|n| n.sku_id == o.sku_id))
        .cloned()
        .collect()
}

fn collect(text: &str, out: &mut Vec<LicenceEntry>) {
    let groups = bracket_groups(text);
    if groups.is_empty() {
        // Written without brackets: the whole text is one licence (or none).
        out.extend(entry(text));
        return;
    }
    for inner in groups {
        match entry(inner) {
            Some(e) => out.push(e),
            // A list of licences in brackets: look one level down.
            None if inner.contains('[') => collect(inner, out),
            None => {}
        }
    }
}

/// The contents of each outermost `[…]` in `text` (an unclosed one runs to the end).
fn bracket_groups(text: &str) -> Vec<&str> {
    let mut groups = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '[' => {
                if depth == 0 {
                    start = i + 1;
                }
                depth += 1;
            }
            ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    groups.push(&text[start..i]);
                }
            }
            _ => {}
        }
    }
    if depth > 0 {
        groups.push(&text[start..]);
    }
    groups
}

/// `SkuName=…, SkuId=…, DisabledPlans=[…]` as a licence; `None` without a `SkuId`.
fn entry(inner: &str) -> Option<LicenceEntry> {
    let mut sku_id = None;
    let mut sku_name = None;
    let mut disabled_plans = Vec::new();
    for part in top_level_parts(inner) {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "skuid" if !value.is_empty() && !value.contains('[') => {
                sku_id = Some(value.to_ascii_lowercase());
            }
            "skuname" if !value.is_empty() => sku_name = Some(value.to_string()),
            "disabledplans" => {
                let plans = value.trim_start_matches('[').trim_end_matches(']');
                disabled_plans = plans
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_ascii_lowercase)
                    .collect();
            }
            _ => {}
        }
    }
    Some(LicenceEntry {
        sku_id: sku_id?,
        sku_name,
        disabled_plans,
    })
}

/// `inner` split at the commas outside any brackets.
fn top_level_parts(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
    const EMS: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn entra_s_form_parses_with_its_disabled_plans() {
        let old = entries(&v(&[
            "[SkuName=SPE_E5, AccountId=acc-1, SkuId=06EBC4EE-1bb5-47dd-8120-11324bc54e06, DisabledPlans=[a1b2, C3D4]]",
            "[SkuName=EMSPREMIUM, AccountId=acc-1, SkuId=efccb6f7-5641-4e0e-bd10-b4976e1bf68e, DisabledPlans=[]]",
        ]));
        assert_eq!(old.len(), 2);
        assert_eq!(old[0].sku_id, E5, "lowercased");
        assert_eq!(old[0].sku_name.as_deref(), Some("SPE_E5"));
        assert_eq!(old[0].disabled_plans, ["a1b2", "c3d4"]);
        assert!(old[1].disabled_plans.is_empty());
        let new = entries(&v(&[&format!(
            "[SkuName=EMSPREMIUM, SkuId={EMS}, DisabledPlans=[]]"
        )]));
        let gone = taken(&old, &new);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].sku_id, E5);
    }

    #[test]
    fn leniently_several_in_one_string_any_order_no_brackets_no_name() {
        let both = entries(&v(&[&format!(
            "[[DisabledPlans=[], SkuId={E5}], [skuid={EMS}]]"
        )]));
        assert_eq!(both.len(), 2);
        assert_eq!(both[1].sku_id, EMS);
        assert_eq!(both[1].sku_name, None);
        let bare = entries(&v(&[&format!("SkuName=SPE_E5, SkuId={E5}")]));
        assert_eq!(bare.len(), 1);
        assert!(entries(&v(&["[]", "nothing here", "[SkuName=X, DisabledPlans=[]]"])).is_empty());
        let unclosed = entries(&v(&[&format!(
            "[SkuName=SPE_E5, SkuId={E5}, DisabledPlans=[p1"
        )]));
        assert_eq!(unclosed[0].disabled_plans, ["p1"]);
    }
}
