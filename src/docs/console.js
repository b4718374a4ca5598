// The docs console: Swagger UI over the emulator's own document, "Try it out" on, and the demo
// till's Basic credential set (Capillary's Basic auth sends the MD5 of the password).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  persistAuthorization: false,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  onComplete: function () {
    window.ui.preauthorizeBasic("basic", "demo.till", "62cc2d8b4bf2d8728120d052163a77df");
    document.body.setAttribute("data-console-ready", "true");
  },
});
