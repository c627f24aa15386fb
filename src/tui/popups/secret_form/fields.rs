//! The secret form's fields: text, a secret being typed ([`SecretInput`]), a number, a typed
//! [`Choice`]; and the generator's settings.

use secrecy::SecretString;

use super::SecretInput;
use crate::api::{Category, Scope, SecretMeta};
use crate::crypto::Alphabet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldId {
    Name,
    Value,
    Length,
    Alphabet,
    Category,
    Provider,
    Scope,
    Shared,
    WriteOnly,
    Description,
}

impl FieldId {
    pub fn label(self) -> &'static str {
        match self {
            FieldId::Name => "Name",
            FieldId::Value => "Value",
            FieldId::Length => "Length",
            FieldId::Alphabet => "Alphabet",
            FieldId::Category => "Category",
            FieldId::Provider => "Provider",
            FieldId::Scope => "Scope",
            FieldId::Shared => "Namespace",
            FieldId::WriteOnly => "Write-only",
            FieldId::Description => "Description",
        }
    }
}

pub const ALPHABETS: [Alphabet; 3] = [Alphabet::Alphanumeric, Alphabet::Printable, Alphabet::Hex];
const MAX_TEXT_CHARS: usize = 2048;

/// A choice field's value, typed: what the form sends is what it shows, with no text to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Alphabet(Alphabet),
    Category(Category),
    Scope(Scope),
    /// Org-shared (true) or private.
    OrgShared(bool),
    /// Write-only: nobody can reveal it, programs get it through `vaultty run`.
    WriteOnly(bool),
}

/// The next (or previous) item of `all` after `current`, wrapping.
fn step<T: Copy + PartialEq>(all: &[T], current: T, forward: bool) -> T {
    let n = all.len().max(1);
    let i = all.iter().position(|x| *x == current).unwrap_or(0);
    all.get(if forward { (i + 1) % n } else { (i + n - 1) % n })
        .copied()
        .unwrap_or(current)
}

impl Choice {
    pub fn label(self) -> &'static str {
        match self {
            Choice::Alphabet(Alphabet::Alphanumeric) => "letters+digits",
            Choice::Alphabet(Alphabet::Printable) => "printable",
            Choice::Alphabet(Alphabet::Hex) => "hex",
            Choice::Category(c) => c.as_str(),
            Choice::Scope(s) => s.as_str(),
            Choice::OrgShared(true) => "org-shared",
            Choice::OrgShared(false) => "private",
            Choice::WriteOnly(true) => "yes",
            Choice::WriteOnly(false) => "no",
        }
    }

    /// ←/→.
    pub fn shifted(self, forward: bool) -> Choice {
        match self {
            Choice::Alphabet(a) => Choice::Alphabet(step(&ALPHABETS, a, forward)),
            Choice::Category(c) => Choice::Category(step(Category::ALL, c, forward)),
            Choice::Scope(s) => Choice::Scope(step(Scope::ALL, s, forward)),
            Choice::OrgShared(b) => Choice::OrgShared(!b),
            Choice::WriteOnly(b) => Choice::WriteOnly(!b),
        }
    }
}

#[derive(Debug)]
pub enum FieldKind {
    Text(String),
    Secret(SecretInput),
    Number { value: u16, min: u16, max: u16 },
    Choice(Choice),
}

#[derive(Debug)]
pub struct Field {
    pub id: FieldId,
    pub kind: FieldKind,
}

#[derive(Debug)]
pub struct Form {
    pub fields: Vec<Field>,
    pub focus: usize,
}

fn generator_fields() -> [Field; 2] {
    [
        Field {
            id: FieldId::Length,
            kind: FieldKind::Number {
                value: 32,
                min: 8,
                max: 256,
            },
        },
        Field {
            id: FieldId::Alphabet,
            kind: FieldKind::Choice(Choice::Alphabet(Alphabet::default())),
        },
    ]
}

impl Form {
    pub fn rotate() -> Form {
        let mut fields = vec![Field {
            id: FieldId::Value,
            kind: FieldKind::Secret(SecretInput::new()),
        }];
        fields.extend(generator_fields());
        Form { fields, focus: 0 }
    }

    pub fn new_secret(category: Category, offer_org: bool) -> Form {
        let mut fields = vec![
            Field {
                id: FieldId::Name,
                kind: FieldKind::Text(String::new()),
            },
            Field {
                id: FieldId::Value,
                kind: FieldKind::Secret(SecretInput::new()),
            },
        ];
        fields.extend(generator_fields());
        fields.push(Field {
            id: FieldId::Category,
            kind: FieldKind::Choice(Choice::Category(category)),
        });
        fields.push(Field {
            id: FieldId::Provider,
            kind: FieldKind::Text(String::new()),
        });
        fields.push(Field {
            id: FieldId::Scope,
            kind: FieldKind::Choice(Choice::Scope(Scope::All)),
        });
        if offer_org {
            fields.push(Field {
                id: FieldId::Shared,
                kind: FieldKind::Choice(Choice::OrgShared(false)),
            });
        }
        fields.push(Field {
            id: FieldId::WriteOnly,
            kind: FieldKind::Choice(Choice::WriteOnly(false)),
        });
        fields.push(Field {
            id: FieldId::Description,
            kind: FieldKind::Text(String::new()),
        });
        Form { fields, focus: 0 }
    }

    pub fn edit(meta: &SecretMeta) -> Form {
        Form {
            fields: vec![
                Field {
                    id: FieldId::Category,
                    kind: FieldKind::Choice(Choice::Category(meta.category)),
                },
                Field {
                    id: FieldId::Provider,
                    kind: FieldKind::Text(meta.provider.as_deref().unwrap_or_default().to_owned()),
                },
                Field {
                    id: FieldId::Scope,
                    kind: FieldKind::Choice(Choice::Scope(meta.scope)),
                },
                Field {
                    id: FieldId::Description,
                    kind: FieldKind::Text(meta.description.as_deref().unwrap_or_default().to_owned()),
                },
            ],
            // The description: what an edit most often changes.
            focus: 3,
        }
    }

    pub fn field(&self, id: FieldId) -> Option<&FieldKind> {
        self.fields.iter().find(|f| f.id == id).map(|f| &f.kind)
    }

    fn field_mut(&mut self, id: FieldId) -> Option<&mut FieldKind> {
        self.fields.iter_mut().find(|f| f.id == id).map(|f| &mut f.kind)
    }

    pub fn text(&self, id: FieldId) -> &str {
        match self.field(id) {
            Some(FieldKind::Text(t)) => t,
            _ => "",
        }
    }

    pub fn choice(&self, id: FieldId) -> Option<Choice> {
        match self.field(id) {
            Some(FieldKind::Choice(c)) => Some(*c),
            _ => None,
        }
    }

    pub fn category(&self) -> Option<Category> {
        match self.choice(FieldId::Category) {
            Some(Choice::Category(c)) => Some(c),
            _ => None,
        }
    }

    pub fn scope(&self) -> Option<Scope> {
        match self.choice(FieldId::Scope) {
            Some(Choice::Scope(s)) => Some(s),
            _ => None,
        }
    }

    /// The provider typed, trimmed and lowercased (the server keeps providers lowercase, so that
    /// `GitHub` and `github` are one); empty for none.
    pub fn provider(&self) -> String {
        self.text(FieldId::Provider).trim().to_lowercase()
    }

    /// False when the form does not offer the choice.
    pub fn org_shared(&self) -> bool {
        self.choice(FieldId::Shared) == Some(Choice::OrgShared(true))
    }

    pub fn write_only(&self) -> bool {
        self.choice(FieldId::WriteOnly) == Some(Choice::WriteOnly(true))
    }

    pub fn secret(&self) -> Option<&SecretInput> {
        match self.field(FieldId::Value) {
            Some(FieldKind::Secret(s)) => Some(s),
            _ => None,
        }
    }

    pub fn focused(&self) -> Option<&Field> {
        self.fields.get(self.focus)
    }

    pub fn move_focus(&mut self, forward: bool) {
        let n = self.fields.len().max(1);
        self.focus = if forward {
            (self.focus + 1) % n
        } else {
            (self.focus + n - 1) % n
        };
    }

    pub fn type_char(&mut self, c: char) {
        let Some(f) = self.fields.get_mut(self.focus) else {
            return;
        };
        match &mut f.kind {
            FieldKind::Text(t) if t.chars().count() < MAX_TEXT_CHARS && !c.is_control() => t.push(c),
            FieldKind::Secret(s) => {
                s.push(c);
            }
            FieldKind::Number { value, max, .. } => {
                if let Some(d) = c.to_digit(10) {
                    let d = d as u16;
                    let longer = value.saturating_mul(10).saturating_add(d);
                    *value = if longer <= *max { longer } else { d };
                }
            }
            _ => {}
        }
    }

    pub fn backspace(&mut self) {
        let Some(f) = self.fields.get_mut(self.focus) else {
            return;
        };
        match &mut f.kind {
            FieldKind::Text(t) => {
                t.pop();
            }
            FieldKind::Secret(s) => s.pop(),
            FieldKind::Number { value, .. } => *value /= 10,
            FieldKind::Choice(_) => {}
        }
    }

    pub fn clear_focused(&mut self) {
        let Some(f) = self.fields.get_mut(self.focus) else {
            return;
        };
        match &mut f.kind {
            FieldKind::Text(t) => t.clear(),
            FieldKind::Secret(s) => s.clear(),
            FieldKind::Number { value, .. } => *value = 0,
            FieldKind::Choice(_) => {}
        }
    }

    /// ←/→: the next choice, or a longer/shorter generated value on the length field.
    pub fn shift_choice(&mut self, forward: bool) {
        let Some(f) = self.fields.get_mut(self.focus) else {
            return;
        };
        match &mut f.kind {
            FieldKind::Choice(c) => *c = c.shifted(forward),
            FieldKind::Number { value, min, max } => {
                *value = if forward {
                    value.saturating_add(1)
                } else {
                    value.saturating_sub(1)
                }
                .clamp(*min, *max);
            }
            _ => {}
        }
    }

    /// Bracketed paste into the focused field. A secret keeps everything but one trailing newline
    /// (copied from a file or a terminal, values usually end with one).
    pub fn paste(&mut self, text: &str) {
        let Some(f) = self.fields.get_mut(self.focus) else {
            return;
        };
        match &mut f.kind {
            FieldKind::Secret(s) => {
                let text = text
                    .strip_suffix('\n')
                    .map_or(text, |t| t.strip_suffix('\r').unwrap_or(t));
                s.push_str(text);
            }
            FieldKind::Text(_) | FieldKind::Number { .. } => {
                for c in text.chars() {
                    self.type_char(if c == '\n' || c == '\t' { ' ' } else { c });
                }
            }
            FieldKind::Choice(_) => {}
        }
    }

    pub fn toggle_shown(&mut self) {
        if let Some(FieldKind::Secret(s)) = self.field_mut(FieldId::Value) {
            s.shown = !s.shown;
        }
    }

    /// Fills the value with a generated one (Ctrl-G's answer, or a value kept from before).
    pub fn set_value(&mut self, value: &SecretString) {
        if let Some(FieldKind::Secret(s)) = self.field_mut(FieldId::Value) {
            s.set(value);
        }
    }

    pub fn generator(&self) -> (usize, Alphabet) {
        let len = match self.field(FieldId::Length) {
            Some(FieldKind::Number { value, min, max }) => (*value).clamp(*min, *max),
            _ => 32,
        };
        let alphabet = match self.choice(FieldId::Alphabet) {
            Some(Choice::Alphabet(a)) => a,
            _ => Alphabet::default(),
        };
        (len.into(), alphabet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_follows_the_fields() {
        let mut f = Form::rotate();
        f.focus = 1;
        f.clear_focused();
        f.type_char('4');
        f.type_char('0');
        f.focus = 2;
        f.shift_choice(true);
        f.shift_choice(true);
        assert_eq!(f.generator(), (40, Alphabet::Hex));
    }

    #[test]
    fn choices_are_typed_and_wrap() {
        let mut f = Form::new_secret(Category::Tool, true);
        f.focus = f.fields.iter().position(|x| x.id == FieldId::Category).unwrap();
        f.shift_choice(true);
        assert_eq!(f.category(), Some(Category::Custom));
        f.shift_choice(true);
        assert_eq!(f.category(), Some(Category::Provider), "wraps around");
        f.focus += 2;
        f.shift_choice(false);
        assert_eq!(f.scope(), Some(Scope::Sandboxes));
        assert!(!f.org_shared());
        f.focus += 1;
        f.shift_choice(true);
        assert!(f.org_shared());
        assert!(!f.write_only());
    }

    #[test]
    fn the_provider_is_typed_trimmed_and_lowercased() {
        let mut f = Form::new_secret(Category::Provider, false);
        f.focus = f.fields.iter().position(|x| x.id == FieldId::Provider).unwrap();
        f.paste(" GitHub ");
        assert_eq!(f.provider(), "github");
        let mut meta = crate::api::SecretMeta {
            name: "GITHUB_TOKEN".into(),
            category: Category::Tool,
            scope: Scope::Tools,
            visibility: crate::api::Visibility::User,
            owner: None,
            description: None,
            preview: "****".into(),
            version: 1,
            revealable: true,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            rotated_at: None,
            last_used_at: None,
            created_by: None,
            rotated_by: None,
            provider: Some("github".into()),
        };
        let f = Form::edit(&meta);
        assert_eq!(f.provider(), "github");
        assert_eq!(f.focused().map(|x| x.id), Some(FieldId::Description));
        meta.provider = None;
        assert_eq!(Form::edit(&meta).provider(), "");
    }

    #[test]
    fn pasted_secret_loses_one_trailing_newline() {
        let mut f = Form::rotate();
        f.paste("abc\r\n");
        assert_eq!(f.secret().unwrap().expose(), "abc");
    }
}
