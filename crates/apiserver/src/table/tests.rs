use serde_json::json;

use super::*;
use crate::registry::Registry;

#[test]
fn every_printer_fills_each_of_its_columns() {
    let object = json!({ "metadata": { "name": "x", "creationTimestamp": "2024-01-01T00:00:00Z" } });
    for (group, kind, printer) in PRINTERS.iter().chain([&("", "<default>", &DEFAULT)]) {
        let cells = (printer.cells)(&object);
        assert_eq!(cells.len(), printer.columns.len(), "the printer of {kind:?} in group {group:?}");
    }
}

#[test]
fn every_printer_names_a_served_kind_once() {
    let registry = Registry::builtin();
    let kinds: Vec<(String, String)> = registry
        .groups()
        .iter()
        .flat_map(|(group, versions)| versions.iter().map(move |version| (group.clone(), version.clone())))
        .flat_map(|(group, version)| {
            registry.group_version(&group, &version).into_iter().map(|r| (r.group.to_string(), r.kind.to_string()))
        })
        .collect();
    for (idx, (group, kind, _)) in PRINTERS.iter().enumerate() {
        assert!(kinds.iter().any(|(g, k)| g == group && k == kind), "no served kind {kind:?} in group {group:?}");
        assert!(
            !PRINTERS[..idx].iter().any(|(g, k, _)| g == group && k == kind),
            "{kind:?} in group {group:?} has two printers"
        );
    }
}
