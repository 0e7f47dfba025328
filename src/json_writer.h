// Appends JSON values to a string through one long-lived nlohmann serializer.
// nlohmann's dump() builds a serializer (and asks for the locale) on every
// call, and building a json tree allocates per value: together that was most
// of the cost of storing a scope (measured ~840 ns for two strings, native).
// Here the serializer and a string value are made once and reused.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mellea {

class JsonWriter {
 public:
  JsonWriter()
      : text_(nlohmann::json::value_t::string),
        number_(int64_t{0}),
        serializer_(nlohmann::detail::output_adapter<char>(out_), ' ',
                    nlohmann::json::error_handler_t::replace) {}

  std::string& out() { return out_; }
  void Raw(std::string_view s) { out_.append(s.data(), s.size()); }

  // A JSON string; ill-formed UTF-8 becomes U+FFFD (never a throw). Text
  // with nothing to escape (printable ASCII but '"' and '\\', the usual ids
  // and model names) is its own JSON: copied between quotes, which is what
  // nlohmann writes for it, at a fraction of the cost.
  void String(std::string_view s) {
    bool plain = true;
    for (const char c : s) {
      const auto b = static_cast<unsigned char>(c);
      if (b < 0x20 || b >= 0x7F || b == '"' || b == '\\') {
        plain = false;
        break;
      }
    }
    if (plain) {
      out_.push_back('"');
      out_.append(s.data(), s.size());
      out_.push_back('"');
      return;
    }
    text_.get_ref<std::string&>().assign(s.data(), s.size());
    serializer_.dump(text_, false, false, 0);
  }
  void Integer(int64_t v) {
    number_ = v;
    serializer_.dump(number_, false, false, 0);
  }
  void Boolean(bool v) { Raw(v ? "true" : "false"); }

 private:
  std::string out_;
  nlohmann::json text_;
  nlohmann::json number_;
  nlohmann::detail::serializer<nlohmann::json> serializer_;
};

}  // namespace mellea
