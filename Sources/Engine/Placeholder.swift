// Placeholder until the Engine lands; replace freely.
enum EnginePlaceholder {}
