// Top-level keys of a JSON text in order, duplicates included (nlohmann's
// parse would merge them): shared by the record tests and the record fuzzer.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mellea_test {

struct KeySax : nlohmann::json_sax<nlohmann::ordered_json> {
  std::vector<std::string> keys;
  int depth = 0;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return ++depth, true; }
  bool key(string_t& k) override {
    if (depth == 1) keys.push_back(k);
    return true;
  }
  bool end_object() override { return --depth, true; }
  bool start_array(std::size_t) override { return ++depth, true; }
  bool end_array() override { return --depth, true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
};

}  // namespace mellea_test
