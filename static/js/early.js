// Runs in <head> before the page is drawn (not deferred): marks that scripts run, so styles meant
// for pages without JavaScript (`.no-js`) never flash. A file, not an inline script, for the
// Content-Security-Policy.
document.documentElement.className = document.documentElement.className.replace("no-js", "js");
