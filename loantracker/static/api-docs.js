/* A Swagger UI plugin (its extension API, wrapComponents) for /api/docs/, named in
   SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"] (loantracker/settings/api.py): it adds what Swagger UI's
   markup lacks for a page without axe-core violations (issue 14): a landmark around the title and
   description (region: the operations are in Swagger UI's own <main>), an <h2> between the title's
   <h1> and each group's <h3> (heading-order), a <label> for each parameter's field and for the select
   of a response's examples (select-name), and a name for the button that folds an untitled object of
   a schema (button-name). loantracker/static/api-docs.css does the colours. */
window.ApiDocsAccessible = function (system) {
  "use strict";
  var h = system.React.createElement;
  var hidden = function (text) { return h("span", { className: "api-docs-hidden" }, text); };
  var label = function (text, field) { return h("label", { className: "api-docs-label" }, text, field); };
  return {
    wrapComponents: {
      InfoContainer: function (Original) {
        return function (props) { return h("div", { role: "banner" }, h(Original, props)); };
      },
      operations: function (Original) {
        return function (props) {
          return h(system.React.Fragment, null, h("h2", { className: "api-docs-hidden" }, "Endpoints"), h(Original, props));
        };
      },
      ExamplesSelect: function (Original) {
        return function (props) { return label(props.showLabels ? null : hidden("Example"), h(Original, props)); };
      },
      ModelCollapse: function (Original) {
        return function (props) {
          return h(Original, props.title ? props : Object.assign({}, props, { title: hidden("Properties") }));
        };
      },
      // One field (text, number, select) is labelled by its parameter's name; a list of fields with
      // its add and remove buttons is left as it is.
      JsonSchemaForm: function (Original) {
        return function (props) {
          var schema = props.schema;
          var many = schema && schema.get("type") === "array" && !schema.getIn(["items", "enum"]);
          return many ? h(Original, props) : label(hidden(props.description), h(Original, props));
        };
      }
    }
  };
};
