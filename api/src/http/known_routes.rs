//! Which methods each documented path takes, so that a request with another method gets
//! 405 and an `Allow` header instead of a 404. Built from the OpenAPI document, so it
//! cannot drift from the registered routes.

use utoipa::openapi::OpenApi;
use utoipa::openapi::path::PathItem;

enum Segment {
    Literal(String),
    Parameter,
}

pub struct KnownRoutes(Vec<(Vec<Segment>, String)>);

fn methods(item: &PathItem) -> String {
    let all = [
        ("GET", item.get.is_some()),
        // Every GET answers HEAD as well (see `conditional`).
        ("HEAD", item.get.is_some()),
        ("PUT", item.put.is_some()),
        ("POST", item.post.is_some()),
        ("DELETE", item.delete.is_some()),
        ("PATCH", item.patch.is_some()),
    ];
    all.iter().filter(|(_, present)| *present).map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .split('/')
        .map(|part| {
            if part.starts_with('{') && part.ends_with('}') {
                Segment::Parameter
            } else {
                Segment::Literal(part.to_owned())
            }
        })
        .collect()
}

impl KnownRoutes {
    pub fn from_openapi(doc: &OpenApi) -> Self {
        Self(doc.paths.paths.iter().map(|(template, item)| (segments(template), methods(item))).collect())
    }

    /// The methods `path` takes (`"GET, POST"`), if it is a documented path.
    pub fn allowed(&self, path: &str) -> Option<&str> {
        let parts: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == parts.len()
                    && template.iter().zip(&parts).all(|(segment, part)| match segment {
                        Segment::Literal(literal) => literal == part,
                        Segment::Parameter => !part.is_empty(),
                    })
            })
            .map(|(_, methods)| methods.as_str())
    }
}

#[cfg(test)]
mod tests {
    use crate::http::known_routes::*;

    #[test]
    fn documented_paths_name_their_methods_and_others_are_unknown() {
        let known = KnownRoutes::from_openapi(&crate::app::openapi());
        assert_eq!(known.allowed("/api/v1/units"), Some("GET, HEAD, POST"));
        assert_eq!(known.allowed("/api/v1/units/7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11"), Some("GET, HEAD, PUT"));
        assert_eq!(known.allowed("/api/v1/no-such-thing"), None);
        assert_eq!(known.allowed("/api/v1/units/"), None);
    }
}
