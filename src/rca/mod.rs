//! Root-cause analysis: the graph model, building it from observations, rules, ranking and stores.
