// Starts Swagger UI on the spec this service serves. A file, not an inline script, so the page's
// Content-Security-Policy can forbid inline scripts.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({url: "/schema/openapi.json", dom_id: "#reference", deepLinking: true});
});
