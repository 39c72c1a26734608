fn main() {
    chatbots_codegen::build_script();
}
