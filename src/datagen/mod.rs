//! Schema-driven and built-in entity test data, with edge and defect values, seeded.
